"""Language selection: Simplified Chinese unless the user chose otherwise (ADR 0008)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language header.

    Chinese is the programme's working language: the words on screen are the words of the
    programme's documents, and training material, screenshots and phone calls between a
    collector and the township refer to them. A browser that merely *prefers* English (a
    second-hand phone, an office PC set up in English) still gets Chinese; English is an
    explicit choice made with the footer's language selector, which sets the language cookie.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
