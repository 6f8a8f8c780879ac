"""The demo's other sources of supervised work (督办来源): leader instructions, inspection cases, livelihood projects
and hazards, each made and worked on through ``duban.sources.actions`` and the task workflow by the people a real
office would have do it: the 督查室 (``office``) registers, the units sign for their tasks and report, the leader
writes a 批示 on a task, the office reviews and closes.

Dates are counted from the loader's ``today``, so each record's light means the same whenever the demo is loaded:
an overdue instruction and an overdue hazard (red), the rest on track. Every record is looked up by what
identifies it (an instruction's text, a case number, a project's indicator, a hazard's place) before it is made,
so loading twice changes nothing, and a demo loaded before these records existed gains them.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from duban.core.models import Unit
from duban.followup.actions import task_comment
from duban.sources import actions as source_actions
from duban.sources.models import Hazard, InspectionCase, Instruction, LivelihoodProject
from duban.tasks import actions as task_actions

LEADER_NAME = "李华"  # the demo leader's name (user ``leader``), signing the instructions
INSPECTION = "省第三生态环境保护督察组"
CASE_BATCH = "第二批"


def _users() -> dict:
    User = get_user_model()
    names = ("office", "leader", "safety.staff", "health.staff", "env.staff", "linchuan.staff")
    return {u.username: u for u in User.objects.filter(username__in=names).select_related("profile")}


def _unit(name: str) -> int:
    return Unit.objects.values_list("pk", flat=True).get(name=name)


def _months(start: dt.date, before: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s month up to the month before ``before``'s."""
    months, month = [], start.replace(day=1)
    while month < before.replace(day=1):
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _accept(user, task_id: int) -> None:
    task_actions.task_accept(actor=user, task_id=task_id)


def _close(unit_user, office, task_id: int, *, text: str, evidence: str, comment: str) -> None:
    """办结 as the workflow has it: the unit asks to close with its evidence, the office accepts."""
    report = task_actions.report_submit(actor=unit_user, task_id=task_id, progress_percent=100, request_close=True,
                                        text=text, evidence_text=evidence)
    task_actions.report_accept(actor=office, report_id=report.pk, comment=comment)


# --- 领导批示 --------------------------------------------------------------------------------------------------

INSTRUCTIONS = (
    {"key": "charging",
     "text": "近来几起住宅火情都起于电动自行车在楼道里充电。请应急管理局会同消防救援支队，把全市住宅小区的楼道停放、"
             "私拉电线充电排查一遍，能当场清理的当场清理，清不了的列出清单限期整改，排查整治情况按时报来。",
     "days_ago": 12, "doc": "江督批〔{year}〕7号", "lead": "市应急管理局", "coop": ("市消防救援支队",),
     "title": "全市住宅小区电动自行车违规停放充电排查整治", "deadline": -3},
    {"key": "clinics",
     "text": "入冬后呼吸道疾病就诊明显增多。请卫健委督促各地基层医疗机构备足常用药品，发热门诊和夜间值守不断档，"
             "让群众就近能看上病、少排队，落实情况报督查室。",
     "days_ago": 4, "doc": "江督批〔{year}〕9号", "lead": "市卫健委", "coop": (),
     "title": "基层医疗机构冬季药品储备和发热门诊值守", "deadline": 40},
)


def _instructions(users: dict, today: dt.date) -> None:
    office = users["office"]
    for item in INSTRUCTIONS:
        if Instruction.objects.filter(text=item["text"]).exists():
            continue
        instruction = source_actions.instruction_create(
            actor=office, text=item["text"], leader=LEADER_NAME, date=today - dt.timedelta(days=item["days_ago"]),
            doc_number=item["doc"].format(year=today.year), assign=True,
            tasks=[{"title": item["title"], "lead_unit_id": _unit(item["lead"]),
                    "coop_unit_ids": [_unit(n) for n in item["coop"]],
                    "deadline": today + dt.timedelta(days=item["deadline"])}],
            allow_past_deadline=True)
        task_id = instruction.links.get().task_id
        if item["key"] == "charging":
            # the unit signs for it and reports part of the work; the deadline passes with the work half done,
            # and the leader presses on the task itself
            staff = users["safety.staff"]
            _accept(staff, task_id)
            task_actions.report_submit(actor=staff, task_id=task_id, progress_percent=50,
                                       text="已排查住宅小区412个，清理楼道停放电动自行车1300余辆，拆除私拉电线86处；"
                                            "老旧小区集中充电设施建设正在选点。")
            task_comment(actor=users["leader"], task_id=task_id, today=today,
                         text="时限已过，排查要到楼到户，尚未整改的小区逐个列明责任人和完成时间，下周报我。")
        else:
            _accept(users["health.staff"], task_id)


# --- 督察交办件 ------------------------------------------------------------------------------------------------

CASES = (
    {"number": "SD2-031", "reply_due": 10, "lead": "市生态环境局", "coop": (),
     "complaint": "江北区建材市场东侧一家石材加工点晚上十点后仍在切割石板，粉尘大、噪声刺耳，附近住户无法休息。"},
    {"number": "SD2-047", "reply_due": 6, "lead": "市生态环境局", "coop": ("市农业农村局",),
     "complaint": "清河县一处生猪养殖场的污水不经处理排进村边沟渠，下雨后整条沟发黑发臭。"},
)


def _cases(users: dict, today: dt.date) -> None:
    office, staff = users["office"], users["env.staff"]
    for item in CASES:
        if InspectionCase.objects.filter(case_number=item["number"]).exists():
            continue
        case = source_actions.case_create(
            actor=office, case_number=item["number"], complaint=item["complaint"], lead_unit_id=_unit(item["lead"]),
            coop_unit_ids=[_unit(n) for n in item["coop"]], batch=CASE_BATCH, inspection=INSPECTION,
            reply_due=today + dt.timedelta(days=item["reply_due"]), assign=True, allow_past_deadline=True)
        _accept(staff, case.task_id)
        if item["number"] == "SD2-031":  # being worked
            task_actions.report_submit(actor=staff, task_id=case.task_id, progress_percent=60,
                                       text="已现场核查属实，责令停止夜间作业；加工点正在加装喷淋降尘和隔音设施。")
            continue
        # closed: the office records the rectification and its disclosure, then the unit asks to close
        source_actions.case_record_rectification(
            actor=office, case_id=case.pk, version=case.version, disclose=True,
            rectification="养殖场已停止外排，新建沉淀池和粪污资源化利用设施，沟渠完成清淤；县生态环境分局立案查处。")
        _close(staff, office, case.task_id, text="整改完成，经复核沟渠水质明显好转，已向投诉人反馈。",
               evidence="现场复核记录、清淤前后对比照片、立案决定书已归档。", comment="整改到位，同意办结并公开。")


# --- 民生实事 --------------------------------------------------------------------------------------------------

PROJECTS = (
    {"indicator": "新建标准化村卫生室", "title": "新建标准化村卫生室40个", "target": 40, "unit": "个",
     "lead": "市卫健委", "by": "health.staff", "values": (0, 1, 2, 3, 4, 4, 5, 4, 4, 3)},
    {"indicator": "改造城镇老旧小区", "title": "临川区改造城镇老旧小区12个", "target": 12, "unit": "个",
     "lead": "临川区人民政府", "by": "linchuan.staff", "values": (0, 0, 1, 1, 2, 2, 1, 2, 1, 2), "close": True},
    {"indicator": "农村自来水普及率", "title": "农村自来水普及率达到95%", "target": 95, "unit": "%",
     "lead": "市水利局", "by": "office", "values": (86, 86, 87, 87, 88, 88, 89, 89, 90, 90)},
)


def _livelihood(users: dict, today: dt.date) -> None:
    """Each project runs a year that started ten months before this one: the months before this one have their
    figures (a count adds up; a rate is the latest month's), entered by the lead unit or, for a unit without an
    account, by the office."""
    office = users["office"]
    start = today.replace(day=1)
    for _ in range(10):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
    for item in PROJECTS:
        if LivelihoodProject.objects.filter(indicator=item["indicator"]).exists():
            continue
        project = source_actions.livelihood_create(
            actor=office, title=item["title"], indicator=item["indicator"], target=item["target"],
            measure_unit=item["unit"], lead_unit_id=_unit(item["lead"]), period_start=start, period_end=end,
            assign=True, allow_past_deadline=True)
        by = users[item["by"]]
        if item["by"] != "office":
            _accept(by, project.task_id)
        for month, value in zip(_months(start, today), item["values"]):
            source_actions.livelihood_record_actual(actor=by, project_id=project.pk, month=month, value=value)
        if item.get("close"):
            _close(by, office, project.task_id,
                   text="12个老旧小区改造全部完工，管网、屋面、电梯加装和适老化改造通过联合验收。",
                   evidence="联合验收意见及各小区完工照片已归档。", comment="目标完成，同意办结。")


# --- 隐患台账 --------------------------------------------------------------------------------------------------

HAZARDS = (
    {"place": "江北区滨江路一家餐馆后厨", "category": "gas", "severity": "larger", "deadline": -4,
     "lead": "市应急管理局", "by": "safety.staff", "person": "经营者 邓某",
     "description": "液化石油气钢瓶连接软管老化开裂，钢瓶与灶具同处一室，未装可燃气体报警器。", "stage": "found"},
    {"place": "临川区上顿渡镇一栋自建出租房", "category": "self_built", "severity": "major", "deadline": 20,
     "lead": "临川区人民政府", "by": "linchuan.staff", "person": "房主 黄某",
     "description": "四层自建房私自加建第五层用于出租，底层承重墙出现斜向裂缝，疏散楼梯被杂物堵塞。",
     "stage": "rectified"},
    {"place": "经济开发区一家涂料厂原料仓库", "category": "chemicals", "severity": "ordinary", "deadline": 8,
     "lead": "市应急管理局", "by": "safety.staff", "person": "安全主管 许某",
     "description": "易燃溶剂与氧化剂同库存放，间距不足，库内安全警示标识缺失。", "stage": "closed"},
)


def scene_png(category: str, *, after: bool = False) -> bytes:
    """A drawn picture standing in for a site photo (现场照片) of a hazard of ``category``: shapes only, no text, the
    same bytes on every run. ``after``: the place once put right (整改后)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (236, 230, 218))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 450, 800, 600), fill=(150, 140, 128))  # the floor
    if category == "gas":
        draw.rectangle((420, 260, 760, 450), fill=(120, 124, 130))  # the stove's counter
        draw.ellipse((470, 240, 560, 270), fill=(40, 40, 40))
        draw.ellipse((620, 240, 710, 270), fill=(40, 40, 40))
        x = 60 if not after else 20
        draw.rounded_rectangle((x + 60, 200, x + 200, 450), radius=30, fill=(52, 96, 160))  # the cylinder
        draw.rectangle((x + 105, 170, x + 155, 205), fill=(90, 90, 90))
        hose = [(x + 130, 170), (x + 180, 130), (300, 120), (380, 180), (470, 250)]
        draw.line(hose, fill=(40, 40, 40) if after else (214, 120, 40), width=10)
        if after:
            draw.rectangle((330, 40, 420, 90), fill=(250, 250, 250), outline=(60, 60, 60), width=3)  # an alarm
            draw.ellipse((360, 55, 380, 75), fill=(40, 170, 80))
        else:
            for cx, cy in ((300, 120), (380, 180)):  # cracks in the hose
                draw.line((cx - 12, cy - 14, cx + 10, cy + 12), fill=(60, 30, 20), width=4)
    elif category == "self_built":
        draw.rectangle((0, 0, 800, 450), fill=(196, 220, 238))  # the sky
        draw.rectangle((230, 110, 570, 450), fill=(200, 196, 188), outline=(90, 90, 90), width=3)
        for floor in range(4):
            y = 130 + floor * 80
            for x in (260, 370, 480):
                draw.rectangle((x, y, x + 60, y + 45), fill=(90, 120, 150))
        if not after:
            draw.rectangle((250, 40, 550, 110), fill=(170, 120, 90), outline=(90, 60, 40), width=3)  # the fifth floor
            draw.line([(300, 450), (330, 410), (320, 380), (360, 340)], fill=(40, 40, 40), width=4)  # the crack
        else:
            draw.rectangle((250, 70, 550, 110), fill=(210, 210, 210))  # scaffold where it was taken down
            for x in range(250, 560, 30):
                draw.line((x, 70, x, 110), fill=(120, 120, 120), width=2)
    else:
        draw.rectangle((40, 120, 760, 140), fill=(110, 110, 110))  # a shelf
        for i, x in enumerate(range(80, 720, 110)):
            colour = (200, 60, 50) if i % 2 else (230, 190, 40)
            draw.rounded_rectangle((x, 300, x + 80, 450), radius=12, fill=colour, outline=(60, 60, 60), width=2)
        if after:
            draw.rectangle((386, 160, 402, 450), fill=(160, 90, 70))  # the fire wall between the two stores
        draw.polygon([(400, 20), (460, 80), (400, 140), (340, 80)], fill=(250, 210, 0), outline=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _photo(user, hazard, *, after: bool = False) -> None:
    source_actions.attachment_upload(actor=user, task_id=hazard.task_id, hazard_id=hazard.pk,
                                     filename="整改后照片.png" if after else "现场照片.png",
                                     data=scene_png(hazard.category, after=after))


def _hazards(users: dict, today: dt.date) -> None:
    """One hazard for each stage of the loop 发现 → 整改 → 复查 → 销号: one found and past its deadline, one
    rectified and waiting for the office's re-inspection, one struck off after a re-inspection that first sent it
    back. Each has the office's 现场照片 from its discovery, and the rectified ones the unit's 整改后照片."""
    office = users["office"]
    for item in HAZARDS:
        if Hazard.objects.filter(place=item["place"]).exists():
            continue
        hazard = source_actions.hazard_create(
            actor=office, place=item["place"], category=item["category"], severity=item["severity"],
            description=item["description"], deadline=today + dt.timedelta(days=item["deadline"]),
            responsible_person=item["person"], lead_unit_id=_unit(item["lead"]), assign=True,
            allow_past_deadline=True)
        _photo(office, hazard)
        staff = users[item["by"]]
        _accept(staff, hazard.task_id)
        if item["stage"] == "found":
            continue
        if item["stage"] == "rectified":
            source_actions.hazard_rectify(actor=staff, hazard_id=hazard.pk, version=hazard.version,
                                          rectification="已清退全部租户、停止出租，委托检测机构鉴定为C级危房，"
                                                        "加建的第五层正在拆除，楼梯杂物已清空。")
            _photo(staff, hazard, after=True)
            continue
        hazard = source_actions.hazard_rectify(actor=staff, hazard_id=hazard.pk, version=hazard.version,
                                               rectification="氧化剂已移至隔壁库房，警示标识已补齐。")
        hazard = source_actions.hazard_review(actor=office, hazard_id=hazard.pk, version=hazard.version,
                                              passed=False, note="两库共用一道门，隔离仍不符合要求，请加设防火隔墙。")
        hazard = source_actions.hazard_rectify(actor=staff, hazard_id=hazard.pk, version=hazard.version,
                                               rectification="两库之间已砌筑防火隔墙并分设出入口，复查前已自检。")
        _photo(staff, hazard, after=True)
        hazard = source_actions.hazard_review(actor=office, hazard_id=hazard.pk, version=hazard.version,
                                              passed=True, note="现场复查，隔离和标识符合要求。")
        source_actions.hazard_close(actor=office, hazard_id=hazard.pk, version=hazard.version)


def source_count() -> int:
    """Instructions, cases, livelihood projects and hazards on record."""
    return sum(model.objects.count() for model in (Instruction, InspectionCase, LivelihoodProject, Hazard))


def load_sources(*, today: dt.date) -> None:
    """Create what is missing of the demo's instructions, cases, livelihood projects and hazards. Their dates are
    set around ``today`` (which may be another day than the clock's) and some are overdue on purpose, so they are
    entered as they stand (``allow_past_deadline``)."""
    users = _users()
    _instructions(users, today)
    _cases(users, today)
    _livelihood(users, today)
    _hazards(users, today)
