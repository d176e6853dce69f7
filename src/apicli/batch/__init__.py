"""`apicli batch`: a stream of request lines in, a stream of results out, over one shared client.

`lines` reads and parses the input, `build` makes each line's RequestSpec, `gate` paces every
attempt and shares a server's Retry-After with every worker, `send` sends one line on a worker,
`runner` keeps the workers busy and the output in order, `results` says what a result line holds,
`stopping` handles Ctrl-C, SIGTERM and --max-time, `display` draws the progress bar on a terminal,
and `command` puts them together.
"""
