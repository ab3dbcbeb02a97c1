"""Render the snapshot's stories into faithful copies of each outlet's pages and feeds.

Run with `python -m mediaplan.snapshot.build` (or `make snapshot`) after editing
content*.yaml; the output under sites/ is committed so the demo needs no build.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mediaplan.snapshot import SITES_DIR, SNAPSHOT_DIR
from mediaplan.localtime import local_tz

TODAY = "Thứ Năm, 26/11/2026"
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
BQN_HOST = "baoquangngai.vn"
YT_CHANNEL = "UCEQs1oUkzcxQcEvee_LeFLw"
BQN_MENU = [("thoi-su", "Thời sự"), ("chinh-tri", "Chính trị"), ("kinh-te", "Kinh tế"), ("xa-hoi", "Xã hội"),
            ("van-hoa-nghe-thuat", "Văn hóa - Nghệ thuật"), ("khoa-hoc-cong-nghe", "Khoa học - Công nghệ"),
            ("the-thao", "Thể thao"), ("phong-su", "Phóng sự"), ("phong-van-doi-thoai", "Phỏng vấn - Đối thoại"),
            ("chuyen-de-chuyen-sau", "Chuyên đề chuyên sâu"), ("multimedia", "Multimedia")]
# Subsections live under their parent, as on the real site (/kinh-te/bien-kinh-te-bien/…).
SECTION_PATHS = {"giao-duc": "xa-hoi/giao-duc"}
# Commune and department portals run on a few shared platforms (`platform`, one extraction profile each in
# crawler/profiles): "gov-portal" is the DotNetNuke-based CMS (/Portals/_default/, /tin-tuc/…-{id}.html),
# "liferay-portal" the Liferay-based one (/web/guest/…, asset publisher, RSS link on every page).
PORTALS = {
    "sgddt": {"host": "sgddt.quangngai.gov.vn", "name": "Sở Giáo dục và Đào tạo tỉnh Quảng Ngãi",
              "banner": "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH QUẢNG NGÃI", "owner": "Cơ quan chủ quản: Sở Giáo dục và Đào tạo tỉnh Quảng Ngãi",
              "address": "số 164 Hùng Vương, phường Cẩm Thành, tỉnh Quảng Ngãi"},
    "quangngai-portal": {"host": "quangngai.gov.vn", "name": "Cổng thông tin điện tử tỉnh Quảng Ngãi",
                         "banner": "CỔNG THÔNG TIN ĐIỆN TỬ TỈNH QUẢNG NGÃI", "owner": "Cơ quan chủ quản: Ủy ban nhân dân tỉnh Quảng Ngãi",
                         "address": "số 52 Hùng Vương, phường Cẩm Thành, tỉnh Quảng Ngãi"},
    "xa-son-ha": {"host": "sonha.quangngai.gov.vn", "name": "Trang thông tin điện tử xã Sơn Hà",
                  "banner": "ỦY BAN NHÂN DÂN XÃ SƠN HÀ", "owner": "Cơ quan chủ quản: Ủy ban nhân dân xã Sơn Hà",
                  "address": "xã Sơn Hà, tỉnh Quảng Ngãi"},
    "phuong-cam-thanh": {"host": "camthanh.quangngai.gov.vn", "name": "Trang thông tin điện tử phường Cẩm Thành",
                         "banner": "ỦY BAN NHÂN DÂN PHƯỜNG CẨM THÀNH", "owner": "Cơ quan chủ quản: Ủy ban nhân dân phường Cẩm Thành",
                         "address": "phường Cẩm Thành, tỉnh Quảng Ngãi"},
}


def _unit_portal(key: str, host: str, unit: str, platform: str, owner: str | None = None) -> None:
    """A unit's portal: `unit` is how its banner names it ("phường Nghĩa Lộ", "Sở Y tế")."""
    is_commune = unit.split()[0] in ("xã", "phường", "đặc")
    name = f"Trang thông tin điện tử {unit}" if is_commune else f"Trang thông tin điện tử {unit} tỉnh Quảng Ngãi"
    body = owner or (f"Ủy ban nhân dân {unit}" if is_commune else f"{unit} tỉnh Quảng Ngãi")
    PORTALS[key] = {"host": host, "name": name, "banner": (f"ỦY BAN NHÂN DÂN {unit}" if is_commune else f"{unit} tỉnh Quảng Ngãi").upper(),
                    "owner": f"Cơ quan chủ quản: {body}", "address": f"{unit if is_commune else 'phường Cẩm Thành'}, tỉnh Quảng Ngãi",
                    "platform": platform}


for _key, _host, _unit, _platform in [
    ("sotuphap", "sotuphap.quangngai.gov.vn", "Sở Tư pháp", "gov-portal"),
    ("sonnmt", "snnmt.quangngai.gov.vn", "Sở Nông nghiệp và Môi trường", "gov-portal"),
    ("soyte", "soyte.quangngai.gov.vn", "Sở Y tế", "liferay-portal"),
    ("sokhcn", "skhcn.quangngai.gov.vn", "Sở Khoa học và Công nghệ", "liferay-portal"),
    ("sovhttdl", "svhttdl.quangngai.gov.vn", "Sở Văn hóa, Thể thao và Du lịch", "liferay-portal"),
    ("phuong-nghia-lo", "nghialo.quangngai.gov.vn", "phường Nghĩa Lộ", "gov-portal"),
    ("xa-binh-son", "binhson.quangngai.gov.vn", "xã Bình Sơn", "gov-portal"),
    ("xa-tra-bong", "trabong.quangngai.gov.vn", "xã Trà Bồng", "gov-portal"),
    ("xa-tinh-khe", "tinhkhe.quangngai.gov.vn", "xã Tịnh Khê", "gov-portal"),
    ("phuong-duc-pho", "ducpho.quangngai.gov.vn", "phường Đức Phổ", "gov-portal"),
    ("dac-khu-ly-son", "lyson.quangngai.gov.vn", "đặc khu Lý Sơn", "liferay-portal"),
    ("xa-ba-to", "bato.quangngai.gov.vn", "xã Ba Tơ", "liferay-portal"),
    ("phuong-kon-tum", "kontum.quangngai.gov.vn", "phường Kon Tum", "liferay-portal"),
    ("xa-dak-ha", "dakha.quangngai.gov.vn", "xã Đăk Hà", "liferay-portal"),
    ("xa-tu-mo-rong", "tumorong.quangngai.gov.vn", "xã Tu Mơ Rông", "liferay-portal"),
]:
    _unit_portal(_key, _host, _unit, _platform)
LIFERAY_NEWS = "/web/guest/tin-tuc"  # the asset publisher page of "Tin tức - Sự kiện"
LIFERAY_PORTLET = "com_liferay_asset_publisher_web_portlet_AssetPublisherPortlet_INSTANCE_tintuc"
PER_PAGE = 10


@dataclass
class Story:
    raw: dict
    number: int
    path: str = ""
    url: str = ""
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):  # templates read content fields directly
        try:
            return self.raw[name] if name in self.raw else self.extra[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    @property
    def local(self) -> datetime:
        return datetime.strptime(self.raw["published"], "%Y-%m-%d %H:%M").replace(tzinfo=local_tz())


def load_content() -> tuple[list[dict], list[dict]]:
    articles, videos = [], []
    for path in sorted(SNAPSHOT_DIR.glob("content*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        articles += data.get("articles", []) + data.get("originals", [])
        videos += data.get("videos", [])
    return articles, videos


def load_channels() -> dict:
    """content-channels.yaml: broadcasts, social posts, print issues and grassroots bulletins."""
    path = SNAPSHOT_DIR / "content-channels.yaml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _write(rel: str, text: str) -> None:
    path = SITES_DIR / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _pages(entries: list[Story], page_href) -> list[tuple[int, list[Story], str | None]]:
    chunks = [entries[i:i + PER_PAGE] for i in range(0, len(entries), PER_PAGE)] or [[]]
    out = []
    for n, chunk in enumerate(chunks, 1):
        nxt = page_href(n + 1) if n < len(chunks) else None
        out.append((n, chunk, nxt))
    return out


def _bqn_urls(stories: list[Story]) -> None:
    for i, s in enumerate(stories):
        section = SECTION_PATHS.get(s.raw["section"], s.raw["section"])
        yyyymm = s.local.strftime("%Y%m")
        digest = hashlib.sha1(s.raw["id"].encode()).hexdigest()
        scheme = i % 6
        if scheme == 4:  # the older /channel/{n}/{YYYYMM}/{slug}-{number}/
            s.path = f"/channel/{3 + i % 4}/{yyyymm}/{s.raw['slug']}-{s.number}/"
        elif scheme == 5:  # …-{number}.htm
            s.path = f"/{section}/{s.raw['slug']}-{s.number}.htm"
        else:
            s.path = f"/{section}/{yyyymm}/{s.raw['slug']}-{digest[:7]}/"
        s.url = f"https://{BQN_HOST}{s.path}"
        weekday = WEEKDAYS[s.local.weekday()]
        s.extra.update(
            section_path=section, yyyymm=yyyymm, iso=s.local.isoformat(),
            display_date=f"{weekday}, {s.local:%d/%m/%Y - %H:%M}",
            short_date=f"{s.local:%d/%m/%Y %H:%M}",
            meta_date=i % 2 == 0, jsonld=None,
        )
        if i % 3 == 0:
            s.extra["jsonld"] = json.dumps({
                "@context": "https://schema.org", "@type": "NewsArticle", "headline": s.raw["title"],
                "description": s.raw["sapo"], "datePublished": s.local.isoformat(),
                "author": {"@type": "Person", "name": s.raw["author"]},
                "publisher": {"@type": "Organization", "name": "Báo và Phát thanh, Truyền hình Quảng Ngãi"},
                "mainEntityOfPage": s.url}, ensure_ascii=False)
        body_html = "".join(f"<p>{escape(p)}</p>" for p in s.raw["body"])
        s.extra["script_html"] = body_html.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
        s.extra["script_json"] = json.dumps(body_html)  # ASCII-escaped, as the site's CMS emits it


def build_bqn(env: Environment, stories: list[Story]) -> None:
    _bqn_urls(stories)
    newest = sorted(stories, key=lambda s: s.local, reverse=True)
    art_tpl = env.get_template("bqn_article.html")
    common = {"today": TODAY, "menu": BQN_MENU}
    for s in stories:
        related = [r for r in newest if r.raw["section"] == s.raw["section"] and r is not s][:4]
        _write(BQN_HOST + (s.path + "index.html" if s.path.endswith("/") else s.path),
               art_tpl.render(a=s, related=related, most_read=newest[:5], **common))
    listing = env.get_template("bqn_listing.html")
    _write(f"{BQN_HOST}/index.html", listing.render(heading="Tin mới", entries=newest[:15], page=1, pages=[],
                                                   next_page=None, prev_page=None, subsections=None, **common))
    sections: dict[str, list[Story]] = {}
    for s in newest:
        top = s.extra["section_path"].split("/")[0]
        sections.setdefault(top, []).append(s)
        if "/" in s.extra["section_path"]:
            sections.setdefault(s.extra["section_path"], []).append(s)
    for section, entries in sections.items():
        href = lambda n, section=section: f"/{section}/" if n == 1 else f"/{section}/p{n}/"  # noqa: E731
        chunks = _pages(entries, href)
        subs = [(k, dict(BQN_MENU).get(k.split("/")[-1], "Giáo dục")) for k in sections if k.startswith(section + "/")]
        for n, chunk, nxt in chunks:
            html = listing.render(heading=dict(BQN_MENU).get(section, "Giáo dục"), entries=chunk, page=n,
                                  pages=[(i, href(i)) for i in range(1, len(chunks) + 1)], next_page=nxt,
                                  prev_page=href(n - 1) if n > 1 else None, subsections=subs, **common)
            _write(f"{BQN_HOST}{href(n)}index.html", html)
    # RSS: the 20 newest, RSS 2.0 as Vietnamese CMSs emit it (RFC 822 dates in +0700).
    items = "\n".join(
        f"""    <item>
      <title><![CDATA[{s.raw['title']}]]></title>
      <link>{s.url}</link>
      <guid isPermaLink="true">{s.url}</guid>
      <description><![CDATA[<a href="{s.url}"><img src="https://baoquangngai.vn/dataimages/{s.extra['yyyymm']}/thumb/images{s.number}.jpg" /></a>{s.raw['sapo']}]]></description>
      <pubDate>{format_datetime(s.local)}</pubDate>
    </item>""" for s in newest[:20])
    _write(f"{BQN_HOST}/rss/home.rss", f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Báo Quảng Ngãi - Trang chủ</title>
    <link>https://baoquangngai.vn/</link>
    <description>Báo và Phát thanh, Truyền hình Quảng Ngãi</description>
    <language>vi-VN</language>
    <atom:link href="https://baoquangngai.vn/rss/home.rss" rel="self" type="application/rss+xml" />
    <lastBuildDate>{format_datetime(newest[0].local)}</lastBuildDate>
{items}
  </channel>
</rss>
""")
    # Sitemap index with one sitemap per month.
    months: dict[str, list[Story]] = {}
    for s in newest:
        months.setdefault(s.local.strftime("%Y-%m"), []).append(s)
    index = "\n".join(f"  <sitemap><loc>https://{BQN_HOST}/sitemaps/sitemap-{m}.xml</loc><lastmod>{e[0].local.isoformat()}</lastmod></sitemap>"
                      for m, e in sorted(months.items()))
    _write(f"{BQN_HOST}/sitemap.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{index}
</sitemapindex>
""")
    for m, entries in months.items():
        urls = "\n".join(f"  <url><loc>{s.url}</loc><lastmod>{s.local.isoformat()}</lastmod><changefreq>never</changefreq></url>"
                         for s in entries)
        _write(f"{BQN_HOST}/sitemaps/sitemap-{m}.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
""")
    _write(f"{BQN_HOST}/robots.txt", f"""User-agent: *
Disallow: /admin/
Disallow: /search/
Disallow: /tim-kiem/
Sitemap: https://{BQN_HOST}/sitemap.xml
""")


def _portal_sitemap(host: str, newest: list[Story]) -> None:
    """The sitemap both portal platforms serve, announced in robots.txt (how `sources discover` finds it)."""
    urls = "\n".join(f"  <url><loc>{s.url}</loc><lastmod>{s.local.isoformat()}</lastmod></url>" for s in newest)
    _write(f"{host}/sitemap.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
""")


def build_portal(env: Environment, key: str, stories: list[Story]) -> None:
    site = PORTALS[key]
    if site.get("platform") == "liferay-portal":
        build_liferay(env, site, stories)
        return
    host = site["host"]
    newest = sorted(stories, key=lambda s: s.local, reverse=True)
    for s in stories:
        s.path = f"/tin-tuc/{s.raw['slug']}-{s.number}.html"
        s.url = f"https://{host}{s.path}"
        s.extra.update(portal_date=f"{s.local:%d/%m/%Y} {s.local:%H:%M}", short_date=f"{s.local:%d/%m/%Y}",
                       views=37 + s.number % 400)
    tpl = env.get_template("portal_article.html")
    for s in stories:
        related = [r for r in newest if r is not s][:5]
        _write(host + s.path, tpl.render(a=s, site=site, related=related, today=TODAY))
    listing = env.get_template("portal_listing.html")
    href = lambda n: "/tin-tuc/" if n == 1 else f"/tin-tuc/?page={n}"  # noqa: E731
    chunks = _pages(newest, href)
    for n, chunk, nxt in chunks:
        html = listing.render(site=site, entries=chunk, page=n, pages=[(i, href(i)) for i in range(1, len(chunks) + 1)],
                              next_page=nxt, today=TODAY)
        _write(f"{host}/tin-tuc/index.html" + ("" if n == 1 else f"__page={n}"), html)
    _write(f"{host}/index.html", listing.render(site=site, entries=newest[:6], page=1, pages=[], next_page=None, today=TODAY))
    _portal_sitemap(host, newest)
    _write(f"{host}/robots.txt", f"User-agent: *\nDisallow: /DesktopModules/\nDisallow: /Admin/\nSitemap: https://{host}/sitemap.xml\n")


def build_liferay(env: Environment, site: dict, stories: list[Story]) -> None:
    """A portal on the Liferay platform: asset-publisher articles without an extension, a listing paged by the
    portlet's `_cur` parameter, an RSS feed linked (rel=alternate) from every page, and a sitemap in robots.txt."""
    host = site["host"]
    base = f"{LIFERAY_NEWS}/-/asset_publisher/tintuc"
    site = {**site, "rss_path": f"{base}/rss"}
    newest = sorted(stories, key=lambda s: s.local, reverse=True)
    for s in stories:
        s.path = f"{base}/content/{s.raw['slug']}"
        s.url = f"https://{host}{s.path}"
        s.extra.update(portal_date=f"{s.local:%d/%m/%Y %H:%M}", short_date=f"{s.local:%d/%m/%Y}", views=52 + s.number % 300)
    tpl = env.get_template("liferay_article.html")
    for s in stories:
        related = [r for r in newest if r is not s][:5]
        _write(f"{host}{s.path}/index.html", tpl.render(a=s, site=site, related=related, today=TODAY))
    listing = env.get_template("liferay_listing.html")
    href = lambda n: LIFERAY_NEWS if n == 1 else f"{LIFERAY_NEWS}?p_p_id={LIFERAY_PORTLET}&_{LIFERAY_PORTLET}_cur={n}"  # noqa: E731
    chunks = _pages(newest, href)
    for n, chunk, nxt in chunks:
        html = listing.render(site=site, entries=chunk, page=n, pages=[(i, href(i)) for i in range(1, len(chunks) + 1)],
                              next_page=nxt, today=TODAY)
        _write(f"{host}{LIFERAY_NEWS}/index.html" + ("" if n == 1 else "__" + href(n).split("?", 1)[1]), html)
    home = listing.render(site=site, entries=newest[:6], page=1, pages=[], next_page=None, today=TODAY)
    _write(f"{host}/index.html", home)
    _write(f"{host}/web/guest/trang-chu/index.html", home)
    items = "\n".join(f"""    <item>
      <title>{escape(s.raw['title'])}</title>
      <link>{s.url}</link>
      <description>{escape(s.raw['sapo'])}</description>
      <pubDate>{format_datetime(s.local)}</pubDate>
      <guid isPermaLink="false">{s.number}</guid>
      <dc:creator>{escape(s.raw['author'])}</dc:creator>
    </item>""" for s in newest[:20])
    _write(f"{host}{base}/rss", f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel>
    <title>Tin tức - Sự kiện</title>
    <link>https://{host}{LIFERAY_NEWS}</link>
    <description>{escape(site['name'])}</description>
{items}
  </channel>
</rss>
""")
    _write(f"{host}{base}/rss.headers", "Content-Type: application/rss+xml;charset=UTF-8\n")
    _portal_sitemap(host, newest)
    _write(f"{host}/robots.txt", f"User-agent: *\nDisallow: /c/\nDisallow: /group/\nDisallow: /api/\nSitemap: https://{host}/sitemap.xml\n")


def build_youtube(videos: list[dict]) -> None:
    entries = []
    for v in sorted(videos, key=lambda v: v["published"], reverse=True)[:15]:
        local = datetime.strptime(v["published"], "%Y-%m-%d %H:%M").replace(tzinfo=local_tz())
        utc = local.astimezone(timezone.utc)
        vid = v["video_id"]
        entries.append(f""" <entry>
  <id>yt:video:{vid}</id>
  <yt:videoId>{vid}</yt:videoId>
  <yt:channelId>{YT_CHANNEL}</yt:channelId>
  <title>{escape(v['title'])}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={vid}"/>
  <author>
   <name>Truyền hình Quảng Ngãi</name>
   <uri>https://www.youtube.com/channel/{YT_CHANNEL}</uri>
  </author>
  <published>{utc.isoformat()}</published>
  <updated>{(utc + timedelta(hours=3)).isoformat()}</updated>
  <media:group>
   <media:title>{escape(v['title'])}</media:title>
   <media:content url="https://www.youtube.com/v/{vid}?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i2.ytimg.com/vi/{vid}/hqdefault.jpg" width="480" height="360"/>
   <media:description>{escape(v['description'])}</media:description>
   <media:community>
    <media:starRating count="{v['views'] // 40}" average="5.00" min="1" max="5"/>
    <media:statistics views="{v['views']}"/>
   </media:community>
  </media:group>
 </entry>""")
    _write(f"www.youtube.com/feeds/videos.xml__channel_id={YT_CHANNEL}", f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={YT_CHANNEL}"/>
 <id>yt:channel:{YT_CHANNEL}</id>
 <yt:channelId>{YT_CHANNEL}</yt:channelId>
 <title>Truyền hình Quảng Ngãi</title>
 <link rel="alternate" href="https://www.youtube.com/channel/{YT_CHANNEL}"/>
 <author>
  <name>Truyền hình Quảng Ngãi</name>
  <uri>https://www.youtube.com/channel/{YT_CHANNEL}</uri>
 </author>
 <published>2016-03-14T02:11:37+00:00</published>
{chr(10).join(entries)}
</feed>
""")
    _write("www.youtube.com/robots.txt", "User-agent: *\nDisallow: /api/\nDisallow: /comment\nDisallow: /login\nDisallow: /results\n")


RSSHUB = "127.0.0.1:1200"  # a self-hosted RSSHub on its default port, as the plan's TikTok source names it
RSS_BRIDGE = "127.0.0.1:3000"  # a self-hosted RSS-Bridge
ZALO_OA = "https://zalo.me/baoquangngai"  # the Official Account's public page (not checked from here)
ZALO_BRIDGE_QUERY = ("action=display&bridge=CssSelectorBridge&home_page=https%3A%2F%2Fzalo.me%2Fbaoquangngai"
                     "&url_selector=a.article-item&content_selector=div.article-content&format=Atom")


def _local(value: str) -> datetime:
    fmt = "%Y-%m-%d %H:%M" if " " in value else "%Y-%m-%d"
    return datetime.strptime(value, fmt).replace(tzinfo=local_tz())


def build_episodes(env: Environment, episodes: list[dict]) -> None:
    """TV and radio programme pages under /multimedia/, as the outlet's multimedia section serves them: a listing
    per medium, one page per episode with its video or audio, WebVTT captions (TV) or a linked transcript (radio)."""
    stories = []
    for raw in episodes:
        aired = _local(raw["aired"])
        folder = "truyen-hinh" if raw["medium"] == "tv" else "phat-thanh"
        digest = hashlib.sha1(raw["id"].encode()).hexdigest()[:7]
        s = Story(raw, 0)
        s.path = f"/multimedia/{folder}/{aired:%Y%m}/{raw['slug']}-{digest}/"
        s.url = f"https://{BQN_HOST}{s.path}"
        minutes, seconds = raw["duration"].split(":")
        s.extra.update(
            listing=f"/multimedia/{folder}/", yyyymm=f"{aired:%Y%m}",
            display_date=f"{WEEKDAYS[aired.weekday()]}, {aired:%d/%m/%Y - %H:%M}", short_date=f"{aired:%d/%m/%Y %H:%M}",
            media_path=f"/media/{raw['slug']}.{'mp4' if raw['medium'] == 'tv' else 'mp3'}",
            text_path=f"/media/{raw['slug']}.{'vtt' if raw['medium'] == 'tv' else 'txt'}",
            jsonld=json.dumps({
                "@context": "https://schema.org", "@type": "VideoObject" if raw["medium"] == "tv" else "AudioObject",
                "name": raw["title"], "description": raw["sapo"], "uploadDate": aired.isoformat(),
                "duration": f"PT{int(minutes)}M{int(seconds)}S",
                "contentUrl": f"https://{BQN_HOST}/media/{raw['slug']}.{'mp4' if raw['medium'] == 'tv' else 'mp3'}"},
                ensure_ascii=False))
        stories.append((aired, s))
    stories.sort(key=lambda x: x[0], reverse=True)
    tpl, listing = env.get_template("bqn_episode.html"), env.get_template("bqn_programmes.html")
    common = {"today": TODAY, "menu": BQN_MENU}
    for _, s in stories:
        others = [o for _, o in stories if o is not s and o.raw["medium"] == s.raw["medium"]]
        _write(f"{BQN_HOST}{s.path}index.html", tpl.render(e=s, others=others, **common))
        if s.raw["medium"] == "tv":  # WebVTT cues, a few seconds each
            cues, t = ["WEBVTT", ""], 1.0
            for line in s.raw["captions"]:
                end = t + 2 + len(line.split()) * 0.35
                cues += [f"{_clock(t)} --> {_clock(end)}", line, ""]
                t = end
            _write(f"{BQN_HOST}{s.extra['text_path']}", "\n".join(cues))
            _write(f"{BQN_HOST}{s.extra['text_path']}.headers", "Content-Type: text/vtt; charset=utf-8\n")
        else:
            _write(f"{BQN_HOST}{s.extra['text_path']}", "\n".join(s.raw["transcript"]) + "\n")
    for medium, folder, heading in (("tv", "truyen-hinh", "Truyền hình"), ("radio", "phat-thanh", "Phát thanh")):
        entries = [s for _, s in stories if s.raw["medium"] == medium]
        programmes = sorted({s.raw["programme"] for s in entries})
        _write(f"{BQN_HOST}/multimedia/{folder}/index.html",
               listing.render(heading=heading, programmes=programmes, entries=entries, **common))


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int((seconds - whole) * 1000):03d}"


def build_social(posts: list[dict]) -> None:
    """The outlet's TikTok as RSSHub's `/tiktok/user/:user` route renders it (RSS 2.0, the video in the description,
    the caption as the title), and its Zalo OA as RSS-Bridge's CssSelectorBridge does (Atom, the article in content)."""
    tiktok = sorted((p for p in posts if p["platform"] == "tiktok"), key=lambda p: p["published"], reverse=True)
    items = []
    for p in tiktok:
        link = f"https://www.tiktok.com/{p['account']}/video/{p['post_id']}"
        cover = f"https://p16-sign-sg.tiktokcdn.com/obj/tos-alisg-p-0037/{p['post_id']}~tplv-photomode-image.jpeg"
        items.append(f"""        <item>
            <title><![CDATA[{p['text']}]]></title>
            <description><![CDATA[<video controls="controls" poster="{cover}" style="width: 100%"><source src="https://v16m.tiktokcdn.com/{p['post_id']}/video/tos/alisg/{p['post_id']}.mp4" type="video/mp4"></video>]]></description>
            <pubDate>{format_datetime(_local(p['published']).astimezone(timezone.utc), usegmt=True)}</pubDate>
            <guid isPermaLink="false">{link}</guid>
            <link>{link}</link>
            <author><![CDATA[Báo Quảng Ngãi]]></author>
{chr(10).join(f'            <category>{escape(h)}</category>' for h in p.get('hashtags', []))}
        </item>""")
    _write(f"{RSSHUB}/tiktok/user/@baoquangngai", f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
    <channel>
        <title><![CDATA[Báo Quảng Ngãi (@baoquangngai) TikTok]]></title>
        <link>https://www.tiktok.com/@baoquangngai</link>
        <atom:link href="http://{RSSHUB}/tiktok/user/@baoquangngai" rel="self" type="application/rss+xml" />
        <description><![CDATA[Báo và Phát thanh, Truyền hình Quảng Ngãi - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)]]></description>
        <generator>RSSHub</generator>
        <webMaster>contact@rsshub.app (RSSHub)</webMaster>
        <language>en</language>
        <lastBuildDate>Thu, 26 Nov 2026 02:10:33 GMT</lastBuildDate>
        <ttl>5</ttl>
{chr(10).join(items)}
    </channel>
</rss>
""")
    _write(f"{RSSHUB}/tiktok/user/@baoquangngai.headers", "Content-Type: application/rss+xml; charset=utf-8\n")
    zalo = sorted((p for p in posts if p["platform"] == "zalo"), key=lambda p: p["published"], reverse=True)
    entries = []
    for p in zalo:
        when = _local(p["published"]).isoformat()
        link = f"https://zalo.me/s/baoquangngai/article/{p['post_id']}"
        entries.append(f"""    <entry>
        <title type="html">{escape(p['title'])}</title>
        <published>{when}</published>
        <updated>{when}</updated>
        <id>{link}</id>
        <link rel="alternate" type="text/html" href="{link}"/>
        <author><name>{escape(p['account'])}</name></author>
        <content type="html">{escape('<p>' + p['text'] + '</p>')}</content>
    </entry>""")
    _write(f"{RSS_BRIDGE}/index.html__{ZALO_BRIDGE_QUERY}", f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
    <title type="text">Báo Quảng Ngãi - Zalo Official Account</title>
    <id>http://{RSS_BRIDGE}/?{escape(ZALO_BRIDGE_QUERY)}</id>
    <icon>https://zalo.me/favicon.ico</icon>
    <logo>https://zalo.me/favicon.ico</logo>
    <updated>{_local(zalo[0]['published']).isoformat() if zalo else '2026-11-26T09:00:00+07:00'}</updated>
    <author><name>RSS-Bridge</name></author>
    <link rel="alternate" type="text/html" href="{ZALO_OA}"/>
    <link rel="self" type="application/atom+xml" href="http://{RSS_BRIDGE}/?{escape(ZALO_BRIDGE_QUERY)}"/>
{chr(10).join(entries)}
</feed>
""")
    _write(f"{RSS_BRIDGE}/index.html__{ZALO_BRIDGE_QUERY}.headers", "Content-Type: application/atom+xml; charset=UTF-8\n")
    for host in (RSSHUB, RSS_BRIDGE):
        _write(f"{host}/robots.txt", "User-agent: *\nDisallow:\n")


def build_print(env: Environment, issues: list[dict]) -> None:
    """The e-paper's table of contents (/bao-in/): each issue, its pages, and each page's articles on pages of their own."""
    tpl = env.get_template("bqn_article.html")
    toc = []
    for issue in sorted(issues, key=lambda i: i["date"], reverse=True):
        day = _local(issue["date"]).replace(hour=5)
        pages = []
        for page in issue["pages"]:
            stories = []
            for raw in page["articles"]:
                s = Story({**raw, "tags": [], "render": "html"}, issue["issue"] * 100 + page["page"])
                digest = hashlib.sha1(f"{issue['issue']}-{raw['slug']}".encode()).hexdigest()[:7]
                s.path = f"/bao-in/{day:%Y%m}/{raw['slug']}-{digest}/"
                s.url = f"https://{BQN_HOST}{s.path}"
                s.extra.update(section_path="bao-in", section_name=f"Báo in số {issue['issue']}, trang {page['page']}",
                               yyyymm=f"{day:%Y%m}", iso=day.isoformat(), meta_date=True, jsonld=None,
                               display_date=f"{WEEKDAYS[day.weekday()]}, {day:%d/%m/%Y - %H:%M}")
                stories.append(s)
            pages.append({"page": page["page"], "stories": stories})
        toc.append({"number": f"{issue['issue']:,}".replace(",", "."), "display_date": f"{day:%d/%m/%Y}", "pages": pages})
        everything = [s for p in pages for s in p["stories"]]
        for s in everything:
            _write(f"{BQN_HOST}{s.path}index.html", tpl.render(a=s, related=[o for o in everything if o is not s], most_read=[],
                                                              today=TODAY, menu=BQN_MENU))
    _write(f"{BQN_HOST}/bao-in/index.html", env.get_template("bqn_epaper.html").render(issues=toc, today=TODAY, menu=BQN_MENU))


def build_bulletins(env: Environment, bulletins: list[dict]) -> None:
    """A commune's loudspeaker bulletins, posted on its portal under "Thông tin cơ sở" with the recording."""
    by_site: dict[str, list[Story]] = {}
    for n, raw in enumerate(sorted(bulletins, key=lambda b: b["published"], reverse=True)):
        site = PORTALS[raw["site"]]
        s = Story({**raw, "section": "thong-tin-co-so", "section_name": "Thông tin cơ sở", "author": "Đài truyền thanh xã"},
                  3_000_000 + n * 41)
        s.path = f"/thong-tin-co-so/{raw['slug']}-{s.number}.html"
        s.url = f"https://{site['host']}{s.path}"
        s.extra.update(portal_date=f"{s.local:%d/%m/%Y %H:%M}", short_date=f"{s.local:%d/%m/%Y}", views=12 + n,
                       audio=f"/Portals/0/TruyenThanh/{raw['slug']}.mp3", listing="/thong-tin-co-so/")
        by_site.setdefault(raw["site"], []).append(s)
    article, listing = env.get_template("portal_article.html"), env.get_template("portal_listing.html")
    for key, stories in by_site.items():
        site = PORTALS[key]
        for s in stories:
            _write(site["host"] + s.path, article.render(a=s, site=site, related=[o for o in stories if o is not s], today=TODAY))
        _write(f"{site['host']}/thong-tin-co-so/index.html",
               listing.render(site=site, entries=stories, page=1, pages=[], next_page=None, today=TODAY,
                              heading="Thông tin cơ sở", section="thong-tin-co-so"))


def build() -> dict[str, int]:
    articles, videos = load_content()
    if SITES_DIR.exists():
        shutil.rmtree(SITES_DIR)
    env = Environment(loader=FileSystemLoader(SNAPSHOT_DIR / "templates"), autoescape=select_autoescape(["html"]))
    by_site: dict[str, list[Story]] = {}
    for n, raw in enumerate(sorted(articles, key=lambda a: a["id"])):
        by_site.setdefault(raw["site"], []).append(Story(raw, 2_000_000 + n * 37))
    build_bqn(env, by_site.pop("baoquangngai", []))
    for key, stories in by_site.items():
        build_portal(env, key, stories)
    build_youtube(videos)
    channels = load_channels()
    build_episodes(env, channels.get("episodes", []))
    build_social(channels.get("social", []))
    build_print(env, channels.get("print", []))
    build_bulletins(env, channels.get("bulletins", []))
    (SITES_DIR / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return {"articles": len(articles), "videos": len(videos), **{k: len(v) for k, v in channels.items()}}


if __name__ == "__main__":
    print(build())
