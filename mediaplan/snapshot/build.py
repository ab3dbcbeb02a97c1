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


def build_portal(env: Environment, key: str, stories: list[Story]) -> None:
    site = PORTALS[key]
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
    _write(f"{host}/robots.txt", "User-agent: *\nDisallow: /DesktopModules/\nDisallow: /Admin/\n")


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
    (SITES_DIR / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return {"articles": len(articles), "videos": len(videos)}


if __name__ == "__main__":
    print(build())
