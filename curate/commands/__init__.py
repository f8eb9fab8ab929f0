"""One module per CLI command. Each defines `register(subparsers)` and sets `func` on its parser;
the function receives the parsed args and returns an exit status. Keep heavy imports inside `func`."""
