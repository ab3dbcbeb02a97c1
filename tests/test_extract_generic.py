"""The generic path (no profile) on hand-written pages in the markup real templates use, one rule each.

The pages in tests/fixtures/generic/ were written for these tests; the rules were
measured on real pages of unknown outlets by `python -m mediaplan.crawler.evaluate`.
"""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from mediaplan.crawler.extract import choose_title, extract_article, is_boilerplate, pruned, strip_site
from mediaplan.crawler.profiles import get_profile

PAGES = Path(__file__).parent / "fixtures" / "generic"
STORY = [
    "Từ đầu tháng mười một, trường tiểu học ở xã ven biển mở thêm ba lớp học buổi tối để phụ huynh cùng học đọc, "
    "học viết và học dùng điện thoại thông minh với con em mình sau giờ làm.",
    "Thầy hiệu trưởng cho biết mỗi lớp có khoảng hai mươi người, phần lớn là ngư dân và người buôn bán nhỏ ở chợ xã, "
    "học hai buổi mỗi tuần tại chính phòng học của các em học sinh.",
    "Theo giáo viên phụ trách, sau một tháng nhiều phụ huynh đã tự kèm con làm bài tập và đọc được thông báo của nhà "
    "trường gửi qua nhóm tin nhắn của lớp mà không phải nhờ người khác.",
    "Phòng giáo dục huyện dự kiến nhân rộng mô hình này ra năm trường khác trong học kỳ tới nếu có đủ giáo viên tình "
    "nguyện tham gia giảng dạy vào buổi tối.",
]


def generic(name: str, url: str | None = None):
    html = (PAGES / name).read_text(encoding="utf-8")
    return extract_article(html, url or f"https://baomau.vn/{Path(name).stem}.html", get_profile(None))


def test_boxes_inside_the_article_are_left_out_of_the_body():
    art = generic("boxes-in-article.html")
    assert art.body.split("\n\n") == STORY  # no newsletter box, author card, related list or comment form
    for left_out in ("Đăng ký", "phóng viên mảng giáo dục", "Tin liên quan", "thuyền", "bình luận"):
        assert left_out not in art.body
    assert art.extractor == "trafilatura"


def test_the_headline_is_not_repeated_as_the_first_paragraph():
    art = generic("boxes-in-article.html")
    assert art.title == "Trường làng mở thêm lớp học buổi tối cho phụ huynh"
    assert not art.body.startswith(art.title)


def test_og_title_site_suffix_is_cut_when_it_names_the_site():
    art = generic("boxes-in-article.html")  # og:title "… - Báo Mẫu Miền Trung", og:site_name "Báo Mẫu Miền Trung"
    assert art.title == "Trường làng mở thêm lớp học buổi tối cho phụ huynh"
    only_og = generic("og-title-only.html")  # no <h1>; "… | BaoMau.vn" names the host
    assert only_og.title == "Học sinh miền núi nhận học bổng đầu năm"


def test_a_suffix_that_is_part_of_the_headline_stays():
    from parsel import Selector

    from mediaplan.crawler.extract import Page

    page = Page("", "https://baomau.vn/a.html", Selector(text="<html><head></head><body></body></html>"), {}, None, None)
    page.article = page.sel
    assert strip_site("Hà Nội - Hải Phòng: cao tốc thông xe", page) == "Hà Nội - Hải Phòng: cao tốc thông xe"
    assert strip_site("Cao tốc thông xe - BaoMau", page) == "Cao tốc thông xe"


def test_a_breadcrumb_h1_before_the_headline_is_never_the_title():
    art = generic("breadcrumb-h1.html")
    # The <h1> in .breadcrumbs comes first and <title> even agrees with it; the story's <h1> agrees with og:title.
    assert art.title == "Xã đảo có điểm trường mới trước mùa mưa bão"  # inline <span> adds no space


def test_breadcrumb_h1_is_skipped_even_with_no_metadata():
    html = ("<html><body><nav><h1>Trang chủ</h1></nav><div class='breadcrumb'><h1>Giáo dục</h1></div>"
            "<h1 class='headline'>Khai giảng lớp học bơi miễn phí</h1><p>Nội dung.</p></body></html>")
    art = extract_article(html, "https://baomau.vn/b.html", get_profile(None))
    assert art.title == "Khai giảng lớp học bơi miễn phí"


def test_jsonld_headline_picks_the_story_h1_over_a_section_h1():
    art = generic("jsonld-headline.html")
    assert art.title == "Hơn một nghìn giáo viên được tập huấn dạy học số"  # not "Tin mới", the first <h1>
    assert art.author == "Trần Thị Mẫu"  # the organisation in the author list is the outlet, not a byline
    assert art.published_at == datetime(2026, 11, 18, 0, 30, tzinfo=timezone.utc)


def test_jsonld_headline_is_the_title_when_no_h1_agrees():
    html = ("<html><head><title>Báo Mẫu - Tin tức</title>"
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Mở thêm trường nội trú"}</script>'
            "</head><body><h1>Tin nóng trong ngày</h1><p>Nội dung.</p></body></html>")
    art = extract_article(html, "https://baomau.vn/c.html", get_profile(None))
    assert art.title == "Mở thêm trường nội trú"


def test_a_meta_title_equal_to_the_h1_wins_over_one_with_a_kicker_in_front():
    # JSON-LD carries the kicker, og:title and <title> print the headline as the <h1> does: the page's own
    # headline and the two titles that agree with it win (measured on the Fundus pages: one page more right).
    html = ("<html><head><title>Xã đảo đón giáo viên mới - Báo Mẫu</title>"
            '<meta property="og:title" content="Xã đảo đón giáo viên mới">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Năm học mới: Xã đảo đón giáo viên mới"}'
            "</script></head><body><h1>Xã đảo đón giáo viên mới</h1><p>Nội dung.</p></body></html>")
    assert extract_article(html, "https://baomau.vn/k.html", get_profile(None)).title == "Xã đảo đón giáo viên mới"
    # With no meta title equal to the <h1>, the one that adds a kicker in front still writes it.
    kicked = html.replace('<meta property="og:title" content="Xã đảo đón giáo viên mới">', "").replace(
        "<title>Xã đảo đón giáo viên mới - Báo Mẫu</title>", "")
    assert extract_article(kicked, "https://baomau.vn/k.html", get_profile(None)).title == \
        "Năm học mới: Xã đảo đón giáo viên mới"


def test_a_share_label_on_the_wrapper_of_the_story_does_not_drop_the_story():
    art = generic("share-wrapper.html")
    assert art.title == "Mở đường vào bản trước năm học mới"
    assert len(art.body.split("\n\n")) == 2 and art.body.startswith("Con đường đất dài bảy cây số")
    assert "Chia sẻ" not in art.body


def test_pruning_works_on_a_copy_and_leaves_the_shared_tree_whole():
    from parsel import Selector

    sel = Selector(text=(PAGES / "boxes-in-article.html").read_text(encoding="utf-8"))
    copy = pruned(sel.root)
    assert sel.css("#comments") and sel.css(".author-bio")  # other steps still see the whole page
    assert not copy.cssselect("#comments") and not copy.cssselect(".author-bio")
    assert copy.cssselect("article.story h1")


@pytest.mark.parametrize("markup, dropped", [
    ('<div class="comment-list">x</div>', True),
    ('<aside id="related_posts">x</aside>', True),
    ('<div role="complementary" aria-label="Newsletter">x</div>', True),
    ('<article class="story has-comments">x</article>', False),  # the page's frame is never dropped
    ('<div class="related"><h1>Tiêu đề</h1></div>', False),  # nor a node holding the headline
    ('<p class="lead">x</p>', False),
])
def test_boilerplate_is_what_the_markup_labels(markup, dropped):
    import lxml.html

    assert is_boilerplate(lxml.html.fragment_fromstring(markup)) is dropped


def test_date_from_microdata_when_no_meta_or_jsonld():
    art = generic("og-title-only.html")  # <meta itemprop="datePublished" content="2026-09-05">, a local day
    assert art.published_at == datetime(2026, 9, 4, 17, 0, tzinfo=timezone.utc)


def test_a_description_the_page_never_prints_is_not_the_sapo():
    html = ('<html><head><meta name="description" content="Đọc ngay tin mới nhất, nóng nhất hôm nay tại Báo Mẫu">'
            "</head><body><h1>Khánh thành cầu treo</h1><p>Cầu treo dài tám mươi mét nối hai thôn bên sông được khánh "
            "thành sáng nay, người dân không còn phải đi đò qua sông trong mùa lũ như mọi năm trước.</p></body></html>")
    art = extract_article(html, "https://baomau.vn/d.html", get_profile(None))
    assert art.sapo == ""
    printed = html.replace("</h1>", "</h1><p>Đọc ngay tin mới nhất, nóng nhất hôm nay tại Báo Mẫu</p>")
    assert extract_article(printed, "https://baomau.vn/d.html", get_profile(None)).sapo.startswith("Đọc ngay")


def test_choose_title_falls_back_to_the_first_h1_outside_a_breadcrumb():
    from parsel import Selector

    from mediaplan.crawler.extract import Page

    sel = Selector(text="<html><body><ol class='breadcrumb'><li><h1>Xã hội</h1></li></ol><h1>Chợ phiên vùng cao</h1></body></html>")
    assert choose_title(Page("", "https://baomau.vn/e.html", sel, {}, sel, None)) == "Chợ phiên vùng cao"


def test_a_description_that_is_the_lead_cut_short_becomes_the_whole_lead():
    lead = ("Cầu treo dài tám mươi mét nối hai thôn bên sông được khánh thành sáng nay, người dân không còn phải "
            "đi đò qua sông trong mùa lũ như mọi năm trước.")
    rest = ("Công trình do người dân góp công và ngân sách xã hỗ trợ vật liệu, hoàn thành sau bốn tháng thi công "
            "liên tục trên nền đá dọc hai bờ sông.")
    html = (f'<html><head><meta name="description" content="{lead[:60]}…"></head><body><article>'
            f"<h1>Khánh thành cầu treo</h1><p>{lead}</p><p>{rest}</p></article></body></html>")
    art = extract_article(html, "https://baomau.vn/f.html", get_profile(None))
    assert art.sapo == lead  # the printed lead, not the truncated description
    assert art.body == rest  # and not twice


@pytest.mark.parametrize("meta, expected", [
    ("By Lê Văn Mẫu", "Lê Văn Mẫu"),
    ("le-van-mau", None),  # a slug, not a name
    ("phongvien@baomau.vn", None),
    ("https://baomau.vn/tac-gia/le-van-mau", None),
    ("Lê Văn Mẫu, Trần Thị Mẫu", "Lê Văn Mẫu, Trần Thị Mẫu"),
])
def test_meta_author_is_kept_only_as_names(meta, expected):
    html = f'<html><head><meta name="author" content="{meta}"></head><body><h1>Tin</h1><p>Nội dung.</p></body></html>'
    assert extract_article(html, "https://baomau.vn/g.html", get_profile(None)).author == expected


def test_a_byline_element_is_the_author_when_metadata_has_none():
    html = ('<html><body><article><h1>Tin</h1><p class="byline">Bài: Phạm Văn Mẫu</p>'
            "<p>Nội dung bài viết.</p></article></body></html>")
    assert extract_article(html, "https://baomau.vn/h.html", get_profile(None)).author == "Phạm Văn Mẫu"


def test_a_date_that_states_its_zone_beats_a_naive_one():
    from mediaplan.crawler.dates import has_zone

    assert has_zone("2026-11-20T08:15:00+07:00") and has_zone("2026-11-20T01:15:00Z")
    assert not has_zone("2026-11-20T08:15:00") and not has_zone("2026-11-20")
    html = ('<html><head><meta property="article:published_time" content="2026-11-20T04:03:00">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2026-11-20T04:03:00Z"}'
            "</script></head><body><h1>Tin</h1><p>Nội dung.</p></body></html>")
    art = extract_article(html, "https://baomau.vn/i.html", get_profile(None))
    assert art.published_at == datetime(2026, 11, 20, 4, 3, tzinfo=timezone.utc)  # not 21:03 the day before
