"""Vietnamese text: normalisation, dates as outlets print them, canonical URLs."""

from datetime import datetime, timezone

import pytest

from mediaplan.crawler.dates import parse_iso, parse_vi_date
from mediaplan.crawler.urls import canonical_url
from mediaplan.nlp.normalize import fold, normalize


@pytest.mark.parametrize("raw, expected", [
    ("hoà bình", "hòa bình"), ("khoẻ mạnh", "khỏe mạnh"), ("thuỷ lợi", "thủy lợi"), ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
    ("xã hội hoá", "xã hội hóa"), ("quý", "quý"), ("hoàn thành", "hoàn thành"), ("khuya", "khuya"),
    ("Ðắk Tô", "Đắk Tô"), ("học\u00a0sinh\u200b", "học sinh"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_turns_nfd_into_nfc():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Giáo dục và Đào tạo")
    assert nfd != "Giáo dục và Đào tạo"
    assert normalize(nfd) == "Giáo dục và Đào tạo"


def test_fold_keeps_d_stroke_distinct():
    assert fold("Sơn Hà") == fold("Sơn Hạ") == "son ha"
    assert fold("Đăk Bla") == "đak bla" != fold("Dak Bla")


BASE = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)  # 10:00 in Vietnam


@pytest.mark.parametrize("text, expected", [
    ("Thứ Năm, 20/11/2025 - 08:15", datetime(2025, 11, 20, 1, 15, tzinfo=timezone.utc)),
    ("20/11/2025 08:15 GMT+7", datetime(2025, 11, 20, 1, 15, tzinfo=timezone.utc)),
    ("Ngày đăng: 05/09/2026 08:15 | Lượt xem: 111", datetime(2026, 9, 5, 1, 15, tzinfo=timezone.utc)),
    ("Cập nhật: 21 tháng 09 năm 2025", datetime(2025, 9, 20, 17, 0, tzinfo=timezone.utc)),
    ("2 giờ trước", datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)),
    ("hôm qua", datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)),
])
def test_vietnamese_dates_parse_to_utc(text, expected):
    assert parse_vi_date(text, BASE) == expected


def test_bad_date_is_none_not_an_exception():
    assert parse_vi_date("không rõ ngày", BASE) is None
    assert parse_iso("2026-13-45") is None


def test_iso_without_zone_is_vietnam_time():
    assert parse_iso("2026-09-05T07:30:00") == datetime(2026, 9, 5, 0, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("url", [
    "https://www.baoquangngai.vn/xa-hoi/202611/bai-viet-1a2b3c4/?utm_source=facebook&fbclid=abc",
    "http://m.baoquangngai.vn/xa-hoi/202611/bai-viet-1a2b3c4/#binh-luan",
    "https://baoquangngai.vn/xa-hoi/202611/bai-viet-1a2b3c4/",
])
def test_canonical_url_merges_hosts_schemes_and_tracking(url):
    assert canonical_url(url) == "https://baoquangngai.vn/xa-hoi/202611/bai-viet-1a2b3c4/"


def test_canonical_link_from_same_site_wins_other_site_ignored():
    page = "https://m.baoquangngai.vn/a-1.htm?utm_medium=x"
    assert canonical_url(page, "/xa-hoi/202611/a-1a2b3c4/") == "https://baoquangngai.vn/xa-hoi/202611/a-1a2b3c4/"
    assert canonical_url(page, "https://othersite.vn/copy") == "https://baoquangngai.vn/a-1.htm"


def test_decode_html_trusts_bytes_over_labels():
    from mediaplan.crawler.encoding import decode_html

    text = "<p>Giáo dục</p>"
    assert decode_html(text.encode("utf-8"), "text/html; charset=iso-8859-1") == (text, "utf-8")
    assert decode_html("\ufeff<p>x</p>".encode("utf-8"), None)[0] == "<p>x</p>"
    legacy = "<p>Gia\u0301o du\u0323c</p>".encode("cp1258")  # windows-1258 keeps tones as combining marks
    decoded, encoding = decode_html(legacy, "text/html")
    assert encoding == "cp1258" and normalize(decoded) == "<p>Giáo dục</p>"
