"""What ``contracts diff`` found, for people and machines: terminal text, JSON, one HTML page, JUnit XML.

Every rendering shows a difference the same way: its request class, kind, category
(contract, choice or lenient), the field, both values (``absent`` for a field one answer
lacks, JSON otherwise), and one example: both answers pretty-printed whole (long ones cut
between lines, never inside one), with the line of the differing field marked, and for a
contract one, which side the contract's verdict failed and why.
"""

from __future__ import annotations

import html
import json
import time
from typing import Any
from xml.etree import ElementTree

from message_api_kit.contracts.diff import ABSENT, Difference, DiffReport, Pair
from message_api_kit.contracts.transport import Exchange, printable

#: Lines of a pretty-printed body shown at most; the rest is counted, not cut mid-line.
MAX_LINES = 80
#: What a difference's name points at in an answer, where it is not a field path.
_FIELD_OF = {"parent form": "parent", "parent is": "parent", "conversation": "conversationId"}


def shown(value: Any) -> str:
    """A value as a report shows it: ``absent``, or its JSON."""
    return "absent" if value is ABSENT else json.dumps(value, ensure_ascii=False, default=str)


def answer_lines(exchange: Exchange) -> list[str]:
    """An answer as lines: its status and media type, then its body, pretty-printed when it is JSON."""
    if not exchange.status:
        return [f"no answer ({exchange.error})"]
    head = f"HTTP {exchange.status} {exchange.headers.get('content-type', '(no content type)')}"
    try:
        body = json.dumps(exchange.json(), indent=2, ensure_ascii=False).splitlines()
    except ValueError:
        body = exchange.body.decode("utf-8", "replace").splitlines() or ["(empty body)"]
    if len(body) > MAX_LINES:
        body = [*body[:MAX_LINES], f"... {len(body) - MAX_LINES} more lines"]
    return [head, *body]


def marked(lines: list[str], difference: Difference) -> set[int]:
    """The indexes of the lines where ``difference`` shows: the head for a status or media type, else its field."""
    if difference.what in ("status", "content-type"):
        return {0}
    path = _FIELD_OF.get(difference.what, difference.what).split(".")
    found: set[int] = set()
    depth = 0
    for index, line in enumerate(lines[1:], start=1):
        stripped = line.lstrip(" ")
        indent = (len(line) - len(stripped)) // 2
        if depth < len(path) and indent == depth + 1 and stripped.startswith(json.dumps(path[depth]) + ":"):
            depth += 1
            if depth == len(path):
                found.add(index)
                break
    return found


def _request(exchange: Exchange) -> str:
    body = exchange.request_body.decode("utf-8", "replace")
    content_type = exchange.request_headers.get("Content-Type", "")
    return f"{exchange.method} {exchange.url}\nContent-Type: {content_type}\n\n{body}"


def broken_lines(pair: Pair) -> list[str]:
    """What the contract's verdict says of each side it failed on this request (``rules.judge``)."""
    return [
        f"the {side} server breaks the contract: {failure.title}"
        + (f" ({failure.rule})" if failure.rule else "")
        + f": {failure.detail}"
        for side, failure in pair.broken.items()
    ]


def distinct(report: DiffReport) -> list[tuple[str, Difference, int]]:
    """Each distinct difference once (request class, kind and field), with how many requests showed it."""
    seen: dict[tuple[str, str, str], tuple[str, Difference, int]] = {}
    for (request_class, kind), found in report.groups().items():
        for _, d in found:
            key = (request_class, kind, d.what)
            _, first, count = seen.get(key, (request_class, d, 0))
            seen[key] = (request_class, first, count + 1)
    return list(seen.values())


def _rows(report: DiffReport) -> list[tuple[str, str, str, str, str, str, str]]:
    return [
        (request_class, d.kind, d.category, d.what, shown(d.real), shown(d.fake), f"{count}x")
        for request_class, d, count in distinct(report)
    ]


def examples(report: DiffReport) -> dict[str, Pair]:
    """One differing pair of each request class: the first, which shows its differences together."""
    found: dict[str, Pair] = {}
    for pair in report.pairs:
        if pair.differences:
            found.setdefault(pair.request_class, pair)
    return found


def terminal(report: DiffReport) -> str:
    """Each distinct difference once, in aligned columns; then an example of each request class, lines marked."""
    lines = [f"contracts diff: {report.real_url} (real) against {report.fake_url} (fake), seed {report.seed}"]
    rows = _rows(report)
    if rows:
        header = ("request", "difference", "category", "field", "real", "fake", "seen")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(7)]
        for row in [header, *rows]:
            lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        for request_class, pair in examples(report).items():
            said = ", ".join(f"{d.kind} ({d.what}, {d.category})" for d in pair.differences)
            lines += ["", f"{request_class}: {said}"]
            lines += ["  " + line for line in broken_lines(pair)]
            lines += ["    " + line for line in _request(pair.real).splitlines()]
            for side, exchange in (("real", pair.real), ("fake", pair.fake)):
                answer = answer_lines(exchange)
                marks = set().union(*(marked(answer, d) for d in pair.differences))
                lines.append(f"  {side}:")
                lines += [("  > " if i in marks else "    ") + line for i, line in enumerate(answer)]
    verdict = "they agree" if not rows else f"{len(rows)} differences"
    lines.append(
        f"{len(report.pairs)} requests to each server in {report.seconds:.1f}s; {verdict};"
        f" exit {report.exit_code} (--fail-on {report.fail_on})"
    )
    return printable("\n".join(lines))


def as_json(report: DiffReport) -> dict[str, Any]:
    """Every distinct difference, with an example of its request class: both answers, marked, and a curl each."""
    shown_examples = {request_class: _example(pair) for request_class, pair in examples(report).items()}
    differences = [
        {
            "request_class": request_class,
            "kind": d.kind,
            "category": d.category,
            "what": d.what,
            "real": shown(d.real),
            "fake": shown(d.fake),
            "breaks_contract": d.breaks_contract,
            "counted": report.counts(d),
            "occurrences": count,
            "example": shown_examples[request_class],
        }
        for request_class, d, count in distinct(report)
    ]
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
    real, fake = answer_lines(pair.real), answer_lines(pair.fake)
    return {
        "request": _request(pair.real),
        "differences": [f"{d.kind}: {d.what} ({d.category})" for d in pair.differences],
        "broken": broken_lines(pair),
        "real_answer": "\n".join(real),
        "fake_answer": "\n".join(fake),
        "real_marked": sorted(set().union(*(marked(real, d) for d in pair.differences))),
        "fake_marked": sorted(set().union(*(marked(fake, d) for d in pair.differences))),
        "curl_real": pair.real.curl(),
        "curl_fake": pair.fake.curl(),
    }


def write_json(report: DiffReport, path: Any) -> None:
    """Write ``as_json`` to ``path``."""
    with open(path, "w", encoding="utf-8") as out:
        json.dump(as_json(report), out, indent=2, ensure_ascii=False, default=str)


def _pre(text: str, marks: list[int], side: str) -> str:
    lines = [
        f"<mark>{html.escape(line)}</mark>" if i in marks else html.escape(line)
        for i, line in enumerate(text.split("\n"))
    ]
    return f"<pre class={side}>" + "\n".join(lines) + "</pre>"


def write_html(report: DiffReport, path: Any) -> None:
    """One self-contained page: a table of the differences, then an example of each request class, both answers
    side by side, whole, with the differing lines marked."""
    e = html.escape
    doc = as_json(report)
    classes = list(examples(report))
    table = "".join(
        f"<tr class={'counted' if item['counted'] else 'ignored'}>"
        f"<td><a href='#c{classes.index(item['request_class']) + 1}'>{e(item['request_class'])}</a>"
        f"<td>{e(item['kind'])}<td>{e(item['category'])}<td><code>{e(item['what'])}</code>"
        f"<td><code>{e(item['real'])}</code><td><code>{e(item['fake'])}</code><td>{item['occurrences']}"
        for item in doc["differences"]
    )
    sections = []
    for n, request_class in enumerate(classes, start=1):
        ex = _example(examples(report)[request_class])
        said = "".join(f"<li>{e(line)}" for line in [*ex["broken"], *ex["differences"]])
        sections.append(
            f"<section id=c{n}><h2>{e(request_class)}</h2><ul>{said}</ul><h3>Request</h3><pre>{e(ex['request'])}</pre>"
            f"<div class=side><div><h3>Real server</h3>{_pre(ex['real_answer'], ex['real_marked'], 'real')}"
            f"<pre class=curl>{e(ex['curl_real'])}</pre></div>"
            f"<div><h3>Fake</h3>{_pre(ex['fake_answer'], ex['fake_marked'], 'fake')}"
            f"<pre class=curl>{e(ex['curl_fake'])}</pre></div></div></section>"
        )
    rows = doc["differences"]
    verdict = "They agree." if not rows else f"{len(rows)} differences."
    summary = (
        "<table><thead><tr><th>request<th>difference<th>category<th>field<th>real<th>fake<th>seen</thead>"
        f"<tbody>{table}</tbody></table>"
        if rows
        else ""
    )
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>contracts diff</title><style>"
        "body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1c2330}"
        ".side{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem}"
        "pre{background:#f1f3f7;padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere}"
        "mark{background:#ffe08a;display:inline-block;width:100%}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ccd;padding:.2rem .6rem;text-align:left}"
        "tr.ignored{color:#667}section{border-top:1px solid #ccd;margin-top:1rem}</style>"
        f"<h1>contracts diff</h1><p>Real: <code>{e(report.real_url)}</code> &middot; fake:"
        f" <code>{e(report.fake_url)}</code> &middot; seed {report.seed} &middot; {len(report.pairs)} requests each"
        f" &middot; {time.strftime('%Y-%m-%d %H:%M:%S %Z')} &middot; exit {report.exit_code}"
        f" (--fail-on {e(report.fail_on)}; rows in grey are not counted)</p><p><strong>{verdict}</strong></p>"
        f"{summary}{''.join(sections)}</html>"
    )
    with open(path, "w", encoding="utf-8") as out:
        out.write(page)


def write_junit(report: DiffReport, path: Any) -> None:
    """One test case per request class; a failure for each class with a counted difference."""
    by_class: dict[str, list[str]] = {}
    for pair in report.pairs:
        found = by_class.setdefault(pair.request_class, [])
        counted = [
            f"{d.kind} ({d.category}): {d.what}: real {shown(d.real)}, fake {shown(d.fake)}"
            for d in pair.differences
            if report.counts(d)
        ]
        found += counted + (broken_lines(pair) if counted else [])
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
