"""Language codes (ISO 639-1) and their English names, as generation prompts use them."""

from __future__ import annotations

from pipelines.errors import InputError

LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans",
    "am": "Amharic",
    "ar": "Arabic",
    "az": "Azerbaijani",
    "be": "Belarusian",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "bs": "Bosnian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "gl": "Galician",
    "gu": "Gujarati",
    "ha": "Hausa",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "hy": "Armenian",
    "id": "Indonesian",
    "ig": "Igbo",
    "is": "Icelandic",
    "it": "Italian",
    "ja": "Japanese",
    "jv": "Javanese",
    "ka": "Georgian",
    "kk": "Kazakh",
    "km": "Khmer",
    "kn": "Kannada",
    "ko": "Korean",
    "ky": "Kyrgyz",
    "lo": "Lao",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mk": "Macedonian",
    "ml": "Malayalam",
    "mn": "Mongolian",
    "mr": "Marathi",
    "ms": "Malay",
    "my": "Burmese",
    "ne": "Nepali",
    "nl": "Dutch",
    "no": "Norwegian",
    "pa": "Punjabi",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "si": "Sinhala",
    "sk": "Slovak",
    "sl": "Slovenian",
    "so": "Somali",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "uz": "Uzbek",
    "vi": "Vietnamese",
    "yo": "Yoruba",
    "zh": "Chinese",
    "zu": "Zulu",
}

# Spellings seen in real data files, mapped to the ISO 639-1 code.
ALIASES: dict[str, str] = {
    "zh-cn": "zh",
    "zh-hans": "zh",
    "zh-tw": "zh",
    "pt-br": "pt",
    "jp": "ja",
    "kr": "ko",
    "iw": "he",
    "in": "id",
}


def normalize_language(code: str, path: str | None = None, line: int | None = None) -> str:
    """The ISO 639-1 code for a language as a file spells it (case, spaces, aliases).

    Raises:
        InputError: the code is not a known language.
    """
    cleaned = code.strip().lower().replace("_", "-")
    cleaned = ALIASES.get(cleaned, cleaned)
    if cleaned not in LANGUAGE_NAMES:
        raise InputError(
            f"unknown language {code!r}; expected an ISO 639-1 code such as "
            "ar, bn, de, en, fi, ja, ko, ru, te, zh",
            path,
            line,
        )
    return cleaned


def parse_languages(text: str) -> list[str]:
    """A comma-separated list of language codes, normalised, in the given order."""
    codes = [normalize_language(part) for part in text.split(",") if part.strip()]
    if not codes:
        raise InputError("expected at least one language code, e.g. ar,de,zh")
    return list(dict.fromkeys(codes))
