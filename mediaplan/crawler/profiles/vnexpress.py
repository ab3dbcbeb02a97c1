"""vnexpress.net: a sapo that starts with a location stamp, and the byline inside the body.

- The sapo `p.description` may open with `<span class="location-stamp">Hà Nội</span>`,
  which the site's stylesheet follows with " - "; read as plain text the place runs
  into the first word ("Hà NộiNgười…").
- The body `article.fck_detail` holds the story as direct `p.Normal` children, image
  captions in `figure`/`table.tplCaption` (not the story), and ends with the byline:
  a right-aligned paragraph (`style="text-align:right;"`), or `p.author_mail`.
- The byline is the author; the page's meta author and JSON-LD only say "VnExpress".
"""

from __future__ import annotations

from parsel import Selector

from mediaplan.crawler.extract import Body, Extractor, Page, node_text, squash

STAMP = "location-stamp"
STORY = "./p[not(contains(@class, 'Image'))] | ./h2 | ./h3 | ./ul/li | ./blockquote"
BYLINE = "./p[contains(translate(@style, ' ', ''), 'text-align:right') or contains(@class, 'author')]"


class VnExpress(Extractor):
    def sapo(self, page: Page) -> str:
        node = page.first(self.profile.sapo)
        if node is None:
            return super().sapo(page)
        place = squash(node.css(f".{STAMP} ::text").getall())
        rest = squash(node.xpath(f"./text() | ./*[not(contains(@class, '{STAMP}'))]//text()").getall())
        return f"{place} - {rest}" if place and rest else rest or place

    def _byline(self, page: Page) -> Selector | None:
        body = page.first(self.profile.body)
        lines = body.xpath(BYLINE) if body is not None else []
        return lines[-1] if lines else None

    def author(self, page: Page) -> str | None:
        line = self._byline(page)
        return (node_text(line) or None) if line is not None else super().author(page)

    def body(self, page: Page) -> Body:
        node = page.first(self.profile.body)
        if node is None:
            return super().body(page)
        byline = self._byline(page)
        texts = [node_text(p) for p in node.xpath(STORY) if byline is None or p.root is not byline.root]
        text = "\n\n".join(t for t in texts if t)
        return Body(text, "profile") if text else super().body(page)
