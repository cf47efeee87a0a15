"""Pure rendering: an outcome and a clock in, Block Kit out (slack_sdk models), every
outside string escaped and clipped. No Bolt, no aiohttp, no I/O (an import contract)."""
