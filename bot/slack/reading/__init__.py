"""Pure reading: of what people type and paste (command text, the form, a message's text,
button values; a module each) and of the requests Slack sends (signature, body, shape). No
Bolt, no aiohttp, no I/O (an import contract)."""
