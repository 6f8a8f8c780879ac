"""Which sentences ask someone to act.

Rules, each motivated by a sentence shape seen in communiques of the genre:
- A sentence that starts with an action verb ("坚持…", "加快…", "把…作为…") or carries a modal ("各级各部门要…",
  "…务必…", "必须…") is a directive; the "会议强调，" / "会议要求：" before it belongs to its span.
- "会议指出/认为，…" reports a judgement; it is a directive only when it also carries a modal.
- Agenda records ("会议传达学习…", "会议听取了…", "会议审议通过了…", "会议还研究了其他事项") and the opening sentence
  ("…主持召开…会议，…") are not directives, whatever verbs they contain.
- Quoted words never count: "疫情要防住" inside quotation marks is a slogan, not a request.
All matching is done on the shadow text (see chars.py).
"""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^会议(?:还|同时|并|最后|进一步|再次|特别)?(?P<verb>强调|要求|指出|认为|提出|明确|号召|希望|部署|指示)[，：]?"
                     # A person speaks as the meeting does: "张三强调，要…", "他强调，…", "王五强调——".
                     r"|^(?:他|她|[\u4e00-\u9fff]{2,3})(?:还|同时|并|进一步|再次|特别)?(?P<person_verb>强调|要求|指出)"
                     r"(?:[，：]|——)")
_AGENDA = re.compile(r"^会议(?:还|并|先后|首先|集中|专题|书面|原则)?(?:传达|学习|听取|审议|研究|讨论|通报|通过|同意|观看|审阅"
                     r"|决定|表决|听取了|还研究|举行|召开|由)")
# A decision that asks for more work ("会议原则同意该《…》，按会议精神修改完善后…印发", "会议同意X提出的《…》，作进一步
# 修改完善后提请…审议") is a directive; a bare "会议原则同意《…》。" records a vote.
_AGREED = re.compile(r"^会议(?:研究|议定[：，]?|决定[：，]?)?(?:原则)?同意[^，。]*[，]")
# The numbered item of minutes that hands work to a unit: "（二）由县水利局负责，于5月底前完成…", "由X牵头，…".
_ASSIGNED = re.compile(r"^由[^，。；]{2,40}?(?:负责|牵头)")
# Attendance lines ("区领导…出席会议。") and closings are never work, whatever a heading above them asks.
_ATTENDANCE = re.compile(r"(?:出席|列席|参加)(?:了)?(?:会议|本次会议)?[。！]?$|^会议(?:还)?(?:研究|审议|讨论)了其他")
_OPENING = re.compile(r"主持召开|主持会议|召开[^，。]{0,20}会议|会议由")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+是|其[一二三四五六七八九十]是|第[一二三四五六七八九十]+[，、]?"
                        r"|（[一二三四五六七八九十0-9]+）|[一二三四五六七八九十]+、|[0-9]+[、．.]"
                        r"|首先[，]?|其次[，]?|再次[，]?|最后[，]?|同时[，]?|此外[，]?|另外[，]?)")
_ORDINAL_YAO = re.compile(r"^[一二三四五六七八九十]要")  # "一要…，二要…"

# Verbs that open a request in this genre. Longest first is not needed: they are all matched at the start.
_CUE_VERBS = (
    "要", "必须", "务必", "坚持", "坚决", "坚定", "加快", "加强", "加大", "加速", "推进", "推动", "深入", "深化", "全面",
    "切实", "持续", "扎实", "积极", "着力", "认真", "始终", "毫不动摇", "不折不扣", "大力", "进一步", "抓好", "抓紧",
    "抓实", "抓住", "抓牢", "抓", "做好", "做实", "做细", "强化", "把", "将", "确保", "努力", "狠抓", "统筹", "聚焦", "围绕",
    "严格", "严把", "严防", "严守", "严厉", "落实", "不断", "全力", "着眼", "紧扣", "紧盯", "紧紧", "牢牢", "牢固", "树立",
    "完善", "健全", "建立", "构建", "打造", "提升", "提高", "优化", "发挥", "充分", "用好", "守牢", "守住", "守好",
    "筑牢", "压实", "压紧", "防范", "高度重视", "针对", "聚力", "发扬", "弘扬", "保持", "巩固", "拓展", "培育", "实施",
    "开展", "组织", "引导", "鼓励", "支持", "注重", "更加", "更好", "主动", "及时", "尽快", "迅速", "立即", "扛起", "扛牢",
    "扛稳", "勇于", "敢于", "善于", "一以贯之", "锚定", "瞄准", "对标", "立足", "把握", "坚守", "贯彻", "学习贯彻",
    "全力以赴", "千方百计", "以", "让", "力争", "争取", "倒排", "严禁", "不得", "决不", "绝不", "兜牢", "兜住", "织密",
    "扩大", "促进", "强力", "精心", "用心", "用情", "从严", "从实", "驰而不息", "久久为功", "一体推进", "同步", "加紧",
    "细化", "动态", "常态化", "重点", "集中", "全方位", "多措并举", "深刻", "牢记", "自觉", "带头", "主动融入", "融入",
    "提速", "规范", "整治", "清理", "开发", "探索", "谋划", "推广", "做强", "做优", "做大", "办好", "管好", "用足",
)
_CUE = re.compile("^(?:" + "|".join(sorted(_CUE_VERBS, key=len, reverse=True)) + ")")
# Starts that look like a cue but state facts ("以来", "以上", "全面完成了" is rare enough to ignore).
_NOT_CUE = re.compile(r"^(?:以来|以及|以上|以下|以后|以前|以往|以便|以免|以致|要素|要点|要闻|要案|要求是|将近|重点是|集中在)")
# Subjects that take a request without a modal: "商务部门牵头组建…", "全市上下坚持…".
_SUBJECT = re.compile(r"^[^，；：]{0,14}?(?:部门|上下|干部|单位|党委|政府|机关|乡镇|系统|各级|各地|企业|领导)"
                      r"(?:要|务必|必须|应当|须)?(?:牵头|会同|" + "|".join(v for v in _CUE_VERBS if len(v) > 1) + ")")

# 要 inside these words is not a modal ("重要讲话", "九不准要求", "要素保障", "主要指标").
_YAO_BEFORE = frozenset("重主需纪摘提概首必只紧显政机扼险简纲")
_YAO_AFTER = frozenset("求素点领务件案地道闻员害职津塞冲")
# Every branch starts with a plain character (须 looks back after it, not before), so `re` skips fast to them.
_MODALS = re.compile(r"要|务必|必须|须(?<![无毋必]须)(?!知)|应当|应该|不得|严禁|要求(?=各|全|相关|有关|广大|[市县区]直)")
# "…方面则要求在年内完成…": a requirement with its time or place right after it.
_REQUIRED = re.compile(r"要求(?=在|于)")
_ACHIEVED = re.compile(r"取得了|实现了|完成了|开展了|累计|同比增长|同比下降|已经|已累计|达到了|位居|增长[0-9]|下降[0-9]"
                       r"|了[明显积极重要新良好]")
_QUOTE = re.compile(r"“[^“”\n]*”|「[^「」\n]*」|\"[^\"\n]*\"|《[^《》\n]*》")


def mask_quotes(text: str) -> str:
    """Blank out quoted words and titles so their verbs do not count (same length)."""
    if "“" not in text and "「" not in text and '"' not in text and "《" not in text:
        return text
    return _QUOTE.sub(lambda match: "□" * len(match.group()), text)


def has_modal(text: str) -> bool:
    for match in _MODALS.finditer(text):
        word = match.group()
        if word == "要":
            i = match.start()
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if before in _YAO_BEFORE or after in _YAO_AFTER:
                if word == "要" and after == "求" and (re.match(r"求(?:各|全|相关|有关|广大)", text[i + 1:])
                                                      or _REQUIRED.match(text, i)):
                    return True
                continue
            if before in "将快就" and i >= 2 and text[i - 2:i] in ("即将", "将要", "快要"):
                continue
        return True
    return False


def core_of(sentence: str) -> tuple[str, str | None]:
    """(the sentence without its "会议强调，" and list-number prefix, the reporting verb or None)."""
    verb = None
    match = _PREFIX.match(sentence)
    if match:
        verb = match.group("verb") or match.group("person_verb")
        sentence = sentence[match.end():]
    match = _NUMBERING.match(sentence)
    if match:
        sentence = sentence[match.end():]
    return sentence.lstrip("，：、 \u3000"), verb


def starts_with_cue(core: str) -> bool:
    return bool((_CUE.match(core) or _ORDINAL_YAO.match(core)) and not _NOT_CUE.match(core))


_LIST_ITEM = re.compile(r"^(?:[二三四五六七八九十]+是|其[二三四五六七八九十]是|第[二三四五六七八九十]+[，、]|（[二三四五六七八九十2-9]）)")


# "同时，协助县自然资源局做好…": a sentence that goes on from a request, within its paragraph, adds to it.
_CONTINUATION = re.compile(r"^(?:同时|此外|另外|并且|还要)[，,]")


def continues_list(sentence: str) -> bool:
    """"二是…", "（三）…": the next item of a list whose first item was a request is one too; so is a sentence that
    goes on from a request ("同时，…")."""
    return bool(_LIST_ITEM.match(sentence) or _CONTINUATION.match(sentence))


def is_continuation(sentence: str) -> bool:
    return bool(_CONTINUATION.match(sentence))


def is_attendance(sentence: str) -> bool:
    """"区领导…出席会议。", "会议还研究了其他事项。": neither is work, even under a heading."""
    return bool(_ATTENDANCE.search(sentence))


def is_directive(sentence: str, *, opening: bool = False) -> bool:
    """`sentence` is the shadow of one sentence; `opening` marks the opening paragraph of the text."""
    if len(sentence) < 6:
        return False
    masked = mask_quotes(sentence)
    if opening and _OPENING.search(masked):
        return False
    if _AGREED.match(masked):
        return True
    if _AGENDA.match(masked):
        # "会议听取了…汇报，强调要…", "会议传达学习了…精神，强调要…": only the request after 强调/要求 makes an agenda
        # record a directive.
        request = re.search(r"(?:强调|要求)[，：]?", masked)
        return bool(request and has_modal(masked[request.end():]))
    core, verb = core_of(masked)
    if len(core) < 4:
        return False
    if _ASSIGNED.match(core):
        return True
    if verb in ("指出", "认为"):
        return has_modal(core)
    if verb in ("要求", "号召", "部署"):
        # Whatever follows "会议要求，" is a requirement ("会议要求：一是对…实行…"), unless it only judges
        # ("会议要求，这项改革是全局工作的关键一环，…"): a copula and no modal or request verb.
        return has_modal(core) or starts_with_cue(core) or "是" not in core[:12]
    if has_modal(core):
        return True
    if _ACHIEVED.search(core):
        # "开展各类检查1200余次，累计排查隐患3000余处。": a report of work done starts with the same verbs as a
        # request; without a modal, words of completion mark it as a fact.
        return False
    return starts_with_cue(core) or bool(_SUBJECT.match(core))
