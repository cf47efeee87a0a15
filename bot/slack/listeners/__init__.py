"""The bot's listeners, one module per surface (the command, the buttons, the shortcuts
and the form), what they share, and the Bolt app that registers them. May use Bolt; draw
with cards, read with reading."""
