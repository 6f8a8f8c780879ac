"""`duban` subcommands of this app, registered by duban.cli."""


def register(subparsers) -> None:
    """Add this app's subcommands."""
    p = subparsers.add_parser("phrases-backfill", help="重建会议提法索引 rebuild the policy-phrase index of meetings",
                              description="从已导入会议的抽取结果中收集提法（可重复运行）。")
    p.add_argument("--meeting", type=int, action="append", help="只处理该会议（可多次指定） only this meeting id")
    p.set_defaults(handler=_phrases_backfill)
    p = subparsers.add_parser("search-reindex", help="修复全文检索索引 repair the SQLite full-text index",
                              description="检查并重建缺失的全文检索表和触发器（SQLite）。")
    p.set_defaults(handler=_search_reindex)


def _phrases_backfill(args) -> int:
    from duban.core.audit import system_actor
    from duban.sources.actions import phrases_backfill

    counts = phrases_backfill(actor=system_actor(), meeting_ids=args.meeting)
    print(f"会议 {counts['meetings']} 个，提法出现 {counts['occurrences']} 处 / "
          f"{counts['meetings']} meetings, {counts['occurrences']} occurrences")
    return 0


def _search_reindex(args) -> int:
    from duban.sources.search import ensure_search_index

    repaired = ensure_search_index()
    print("已修复 repaired: " + (", ".join(repaired) if repaired else "无 none"))
    return 0
