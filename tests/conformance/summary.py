"""The conformance suite's verdict for one requirement set, from its log.

usage: summary.py LOG SUMMARY_TSV EXPECTED

LOG is the suite's output for `server --requirements <date>`. Its
"=== SUMMARY ===" block lists every scenario it ran as `✓ name: …` or
`✗ name: …`; the "Not scored for <date>" block after it names the ones the
requirement set does not count (extensions such as Tasks, pending and
newer scenarios). Required scenarios are the rest. Prints a line per
scenario, writes them to SUMMARY_TSV, and exits 1 unless no required
scenario failed and at least EXPECTED of them passed (a scenario that
vanished from the run fails the count).
"""

import re
import sys

LINE = re.compile(r"^\s*([✓✗]) ([A-Za-z0-9_.-]+)")


def main():
    log, tsv, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
        if status == "FAIL":
            print(f"  {'failed' if scored else 'failed, not scored'}: {name}")
    with open(tsv, "w") as file:
        file.write("\n".join(rows) + "\n")
    print(f"{passed} required scenarios passed, {failed} failed ({expected} expected to pass)")
    return 0 if failed == 0 and passed >= expected else 1


if __name__ == "__main__":
    sys.exit(main())
