"""The `harvest` command: the local workflow runner, the lake and AWS commands, the terminal and exit codes."""
