"""qrinfo: look inside Chinaums payment QR codes from Slack."""
