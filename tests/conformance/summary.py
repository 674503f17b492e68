"""The conformance suite's verdict for one requirement set, from its log.

usage: summary.py LOG SUMMARY_TSV EXPECTED [PREFIX=COUNT ...]

LOG is the suite's output for `server --requirements <date>`. Its
"=== SUMMARY ===" block lists every scenario it ran as `✓ name: …` or
`✗ name: …`; the "Not scored for <date>" block after it names the ones the
requirement set does not count (extensions such as Tasks, pending and
newer scenarios). Required scenarios are the rest. Prints a line per
scenario, writes them to SUMMARY_TSV, and exits 1 unless no required
scenario failed and at least EXPECTED of them passed (a scenario that
vanished from the run fails the count).

Each PREFIX=COUNT also requires the unscored scenarios whose names start
with PREFIX (an extension the server implements, such as `tasks-`): none
of them may fail and at least COUNT must pass.
"""

import re
import sys

LINE = re.compile(r"^\s*([✓✗]) ([A-Za-z0-9_.-]+)")


def main():
    log, tsv, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    extras = {}
    for extra in sys.argv[4:]:
        prefix, _, count = extra.rpartition("=")
        extras[prefix] = [int(count), 0, 0]
    with open(log, errors="replace") as file:
        text = re.sub(r"\x1b\[[0-9;]*m", "", file.read())
    if "=== SUMMARY ===" not in text:
        print("conformance: the suite printed no summary; the end of its log:")
        print("\n".join(text.splitlines()[-20:]))
        return 1
    summary = text.split("=== SUMMARY ===", 1)[1]
    scored_part, _, unscored_part = summary.partition("Not scored")
    unscored = {match.group(2) for match in map(LINE.match, unscored_part.splitlines()) if match}
    passed = failed = 0
    rows = ["scenario\tscored\tstatus"]
    for match in filter(None, map(LINE.match, scored_part.splitlines())):
        mark, name = match.groups()
        scored = name not in unscored
        status = "PASS" if mark == "✓" else "FAIL"
        rows.append(f"{name}\t{'yes' if scored else 'no'}\t{status}")
        if scored:
            passed += status == "PASS"
            failed += status == "FAIL"
        for prefix, tally in extras.items():
            if not scored and name.startswith(prefix):
                tally[1] += status == "PASS"
                tally[2] += status == "FAIL"
        if status == "FAIL":
            print(f"  {'failed' if scored else 'failed, not scored'}: {name}")
    with open(tsv, "w") as file:
        file.write("\n".join(rows) + "\n")
    print(f"{passed} required scenarios passed, {failed} failed ({expected} expected to pass)")
    ok = failed == 0 and passed >= expected
    for prefix, (wanted, extra_passed, extra_failed) in extras.items():
        print(
            f"{extra_passed} {prefix}* scenarios passed, {extra_failed} failed"
            f" ({wanted} expected to pass)"
        )
        ok = ok and extra_failed == 0 and extra_passed >= wanted
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
