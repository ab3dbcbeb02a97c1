"""Near-duplicate clusters come from the band keys kept in the database (`item_bands`, `nlp.clusters`): a copy
classified in a later run joins the first item's cluster; the keys ask what datasketch's LSH asks; a story carried
many times stays one cluster; deleting an item drops its keys; migration 0015 computes the keys of items classified
before it. Both backends."""

import uuid
from datetime import datetime, timezone

import pytest
from datasketch import MinHash, MinHashLSH
from datasketch.lsh import _optimal_param
from sqlalchemy import delete, func, select, text

from mediaplan.db import downgrade, get_engine, migrate, session_scope
from mediaplan.db.schema import Item, ItemBand, Outlet
from mediaplan.nlp import dedupe
from mediaplan.nlp.pipeline import classify_items

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
STORY = ("Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam",
         "Ngành giáo dục tỉnh tuyên dương các thầy cô giáo có thành tích xuất sắc trong dạy học.",
         "Sáng 20/11, Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương nhà giáo tiêu biểu tại xã Sơn Hà. Nhiều giáo viên "
         "bám trường, bám lớp ở vùng khó khăn, đưa chữ lên non, giúp học sinh người Hrê đến lớp đều đặn.")
OTHER = ("Giá lúa tăng, nông dân phấn khởi", "Giá lúa vụ mùa tăng mạnh.",
         "Thương lái thu mua lúa tại các xã đồng bằng với giá cao hơn vụ trước, nông dân có lãi sau nhiều năm.")


def store(*stories) -> list[int]:
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == "baoquangngai"))
        made = []
        for title, sapo, body in stories:
            url = f"https://example.vn/{uuid.uuid4().hex}.html"
            made.append(Item(outlet_id=outlet.id, kind="article", url=url, canonical_url=url,
                             content_hash=uuid.uuid4().hex, title=title, sapo=sapo, body=body, published_at=NOW,
                             channel="online"))
        session.add_all(made)
        session.flush()
        return [i.id for i in made]


def classify() -> None:
    with session_scope() as session:
        classify_items(session)


def clusters() -> dict[int, int]:
    with session_scope() as session:
        return dict(session.execute(select(Item.id, Item.cluster_id)).all())


def bands_of(item_id: int) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(ItemBand).where(ItemBand.item_id == item_id))


def test_a_copy_in_a_later_run_joins_the_first_items_cluster(db):
    first, other = store(STORY, OTHER)
    classify()
    assert bands_of(first) == dedupe.BANDS and bands_of(other) == dedupe.BANDS
    retold = (STORY[0], STORY[1], STORY[2] + " (Theo Báo Quảng Ngãi)")  # syndicated with a credit line
    [copy] = store(retold)
    classify()  # a new process would do the same: nothing of the first run is kept in memory
    found = clusters()
    assert found[copy] == first and found[first] == first and found[other] == other
    with session_scope() as session:  # re-classifying everything keeps the clusters and the keys, once each
        classify_items(session, everything=True, batch_size=2)
    assert clusters() == found and bands_of(copy) == dedupe.BANDS


def test_a_story_carried_many_times_stays_one_cluster(db):
    ids = store(*[STORY] * 30, OTHER)
    with session_scope() as session:
        classify_items(session, batch_size=7)
    found = clusters()
    assert {found[i] for i in ids[:30]} == {ids[0]} and found[ids[30]] == ids[30]


def test_deleting_an_item_drops_its_band_keys(db):
    first, copy = store(STORY, STORY)
    classify()
    with session_scope() as session:
        session.execute(delete(Item).where(Item.id == first))
    assert bands_of(first) == 0 and bands_of(copy) == dedupe.BANDS


def test_the_keys_ask_what_datasketchs_lsh_asks():
    assert (dedupe.BANDS, dedupe.ROWS) == _optimal_param(dedupe.THRESHOLD, dedupe.NUM_PERM, 0.5, 0.5)
    words = STORY[2].split()
    texts = [" ".join(words[:n]) + " " + OTHER[2] for n in range(5, len(words), 3)] + [OTHER[2], STORY[2]]
    sigs = [dedupe.signature(t) for t in texts]
    lsh = MinHashLSH(threshold=dedupe.THRESHOLD, num_perm=dedupe.NUM_PERM)
    theirs = [MinHash(num_perm=dedupe.NUM_PERM, seed=dedupe.SEED, hashvalues=s, scheme=dedupe.SCHEME) for s in sigs]
    for n, sig in enumerate(theirs):
        lsh.insert(n, sig)
    keys = [set(dedupe.band_keys(s)) for s in sigs]
    for n, sig in enumerate(theirs):
        assert set(lsh.query(sig)) == {m for m in range(len(sigs)) if keys[n] & keys[m]}
    assert dedupe.similarity(dedupe.from_bytes(dedupe.to_bytes(sigs[0])), sigs[0]) == 1.0
    assert dedupe.similarity(sigs[0], sigs[-1]) == theirs[0].jaccard(theirs[-1])


@pytest.mark.parametrize("text", ["", "một", "hai từ", STORY[0], STORY[2] + " " + OTHER[2], "Sơn Hà, Sơn Hạ; GIÁO VIÊN"])
def test_signatures_are_datasketchs_minhash_to_the_bit(text):
    # Stored signatures and band keys stay comparable with those datasketch itself wrote before (and would write).
    theirs = MinHash(num_perm=dedupe.NUM_PERM, seed=dedupe.SEED, scheme=dedupe.SCHEME)
    theirs.update_batch([s.encode("utf-8") for s in dedupe.shingles(text)])
    ours = dedupe.signature(text)
    assert ours.dtype == theirs.hashvalues.dtype and (ours == theirs.hashvalues).all()


def test_the_classify_path_does_not_load_scipy():
    # datasketch's package loads SciPy (52 MB of RSS) for its LSH; crawl and classify need none of it.
    import subprocess
    import sys

    code = ("import sys, mediaplan.nlp.pipeline, mediaplan.crawler.pipelines; "
            "print(sorted(m for m in ('scipy', 'datasketch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_migration_0015_indexes_the_items_classified_before_it(db):
    first, _ = store(STORY, OTHER)
    classify()
    engine = get_engine()
    downgrade("0014")
    with engine.connect() as conn:
        assert "item_bands" not in {r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table'" if engine.dialect.name == "sqlite" else
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))}
    migrate()
    assert bands_of(first) == dedupe.BANDS
    [copy] = store(STORY)
    classify()
    assert clusters()[copy] == first
