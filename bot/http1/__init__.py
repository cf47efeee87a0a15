"""Kept-alive HTTP/1.1 connections for the calls a card makes (see :mod:`bot.http1.pool`)."""

from bot.http1.pool import Answer, Http1, Limits, Origin, default_tls, request_bytes

__all__ = ["Answer", "Http1", "Limits", "Origin", "default_tls", "request_bytes"]
