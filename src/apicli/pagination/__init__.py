"""`apicli paginate`'s core: follow next-page links and stream every item of every page.

    settings   the flags, checked: scheme, paths, guards, pacing
    documents  one page's JSON, its items, next link, cursor and totals (pure)
    query      setting one query parameter without disturbing the URL (pure)
    schemes    the next-page strategies and auto-detection
    sinks      NDJSON, streamed JSON array or pretty output, one write per page
    filters    --jq (per item, or once with --jq-all) and --schema (per item), as sinks
    exact      pages for --jq: JSON whose numbers are written back as the server wrote them
    pacing     --delay/--rate and the daemon worker pool for --parallel
    runner     the page loop (`paginate`): guards, cycle and origin checks, fetching ahead
    pagesize   the page size a request named, and the note for a full first page that pointed nowhere

Nothing is imported here, so that loading `settings` for the command line costs no more than it needs.
"""
