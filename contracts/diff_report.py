"""What ``contracts diff`` found, for people and machines: terminal text, JSON, one HTML page, JUnit XML."""

from __future__ import annotations

import html
import json
import time
from typing import Any
from xml.etree import ElementTree

from message_api_kit.contracts.diff import DiffReport, Pair
from message_api_kit.contracts.transport import Exchange

SHOWN = 600


def _answer(exchange: Exchange) -> str:
    if not exchange.status:
        return f"no answer ({exchange.error})"
    body = exchange.body.decode("utf-8", "replace")
    return f"{exchange.status} {exchange.headers.get('content-type', '')}\n{body[:SHOWN]}"


def _request(exchange: Exchange) -> str:
    body = exchange.request_body.decode("utf-8", "replace")
    content_type = exchange.request_headers.get("Content-Type", "")
    return f"{exchange.method} {exchange.url}\nContent-Type: {content_type}\n\n{body[:SHOWN]}"


def terminal(report: DiffReport) -> str:
    """A summary: each distinct difference once, by request class and kind, with one example."""
    lines = [f"contracts diff: {report.real_url} (real) against {report.fake_url} (fake), seed {report.seed}"]
    groups = report.groups()
    for (request_class, kind), found in groups.items():
        _, difference = found[0]
        counted = "" if report.counts(difference) else "  (not counted: --fail-on contract)"
        lines.append(
            f"  {request_class:32} {kind:24} {difference.what}: real {difference.real!r}, fake {difference.fake!r}"
            f"  [{len(found)}x]{counted}"
        )
    verdict = "they agree" if not groups else f"{len(groups)} kinds of difference"
    lines.append(
        f"{len(report.pairs)} requests to each server in {report.seconds:.1f}s; {verdict};"
        f" exit {report.exit_code} (--fail-on {report.fail_on})"
    )
    return "\n".join(lines)


def as_json(report: DiffReport) -> dict[str, Any]:
    """Every difference with an example exchange and a curl for each server."""
    differences = []
    for (request_class, kind), found in report.groups().items():
        pair, difference = found[0]
        differences.append(
            {
                "request_class": request_class,
                "kind": kind,
                "what": difference.what,
                "real": difference.real,
                "fake": difference.fake,
                "breaks_contract": difference.breaks_contract,
                "counted": report.counts(difference),
                "occurrences": len(found),
                "example": _example(pair),
            }
        )
    return {
        "real": report.real_url,
        "fake": report.fake_url,
        "seed": report.seed,
        "requests": len(report.pairs),
        "fail_on": report.fail_on,
        "exit_code": report.exit_code,
        "differences": differences,
    }


def _example(pair: Pair) -> dict[str, Any]:
    return {
        "request": _request(pair.real),
        "real_answer": _answer(pair.real),
        "fake_answer": _answer(pair.fake),
        "curl_real": pair.real.curl(),
        "curl_fake": pair.fake.curl(),
    }


def write_json(report: DiffReport, path: Any) -> None:
    """Write ``as_json`` to ``path``."""
    with open(path, "w", encoding="utf-8") as out:
        json.dump(as_json(report), out, indent=2, ensure_ascii=False, default=str)


def write_html(report: DiffReport, path: Any) -> None:
    """One self-contained page: each difference with its request and both answers side by side."""
    e = html.escape
    rows = []
    for item in as_json(report)["differences"]:
        ex = item["example"]
        rows.append(
            f"<section><h2>{e(item['request_class'])}: {e(item['kind'])}</h2>"
            f"<p><code>{e(str(item['what']))}</code>: real <code>{e(repr(item['real']))}</code>,"
            f" fake <code>{e(repr(item['fake']))}</code> &middot; {item['occurrences']} time(s)"
            f"{'' if item['counted'] else ' &middot; not counted'}</p>"
            f"<h3>Request</h3><pre>{e(ex['request'])}</pre>"
            f"<div class=side><div><h3>Real server</h3><pre>{e(ex['real_answer'])}</pre>"
            f"<pre>{e(ex['curl_real'])}</pre></div>"
            f"<div><h3>Fake</h3><pre>{e(ex['fake_answer'])}</pre><pre>{e(ex['curl_fake'])}</pre></div></div></section>"
        )
    verdict = "They agree." if not rows else f"{len(rows)} kinds of difference."
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>contracts diff</title><style>"
        "body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1c2330}"
        ".side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}"
        "pre{background:#f1f3f7;padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere}"
        "section{border-top:1px solid #ccd;margin-top:1rem}</style>"
        f"<h1>contracts diff</h1><p>Real: <code>{e(report.real_url)}</code> &middot; fake:"
        f" <code>{e(report.fake_url)}</code> &middot; seed {report.seed} &middot; {len(report.pairs)} requests each"
        f" &middot; {time.strftime('%Y-%m-%d %H:%M:%S %Z')}</p><p><strong>{verdict}</strong></p>{''.join(rows)}</html>"
    )
    with open(path, "w", encoding="utf-8") as out:
        out.write(page)


def write_junit(report: DiffReport, path: Any) -> None:
    """One test case per request class; a failure for each class with a counted difference."""
    by_class: dict[str, list[str]] = {}
    for pair in report.pairs:
        found = by_class.setdefault(pair.request_class, [])
        found += [f"{d.kind}: {d.what}: real {d.real!r}, fake {d.fake!r}" for d in pair.differences if report.counts(d)]
    suite = ElementTree.Element(
        "testsuite",
        name="contracts diff",
        tests=str(len(by_class)),
        failures=str(sum(1 for found in by_class.values() if found)),
        time=f"{report.seconds:.3f}",
    )
    for request_class, found in by_class.items():
        case = ElementTree.SubElement(suite, "testcase", classname="contracts.diff", name=request_class)
        if found:
            failure = ElementTree.SubElement(case, "failure", message=f"{len(set(found))} difference(s)")
            failure.text = "\n".join(sorted(set(found)))
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
