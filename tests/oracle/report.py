"""Prints every cell of the oracle's cases: `make oracle-report` (root). Arguments: case names or
'random' to limit the run."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# conftest lays the checkout out as the collection, as pytest does before the tests.
import conftest  # noqa: E402,F401 # pylint: disable=unused-import
import cases  # noqa: E402
import known  # noqa: E402
import netns  # noqa: E402
import oracle  # noqa: E402


def main(names):
    reason = netns.available()
    if reason:
        print('kernel oracle unavailable: %s' % reason)
        return 0
    chosen = [case for case in cases.HAND if not names or case.name in names]
    if not names or 'random' in names:
        chosen += [cases.random_case(seed) for seed in cases.RANDOM_SEEDS]
    results = oracle.run_cases(chosen)
    print(oracle.table_text(results))
    counts = {}
    for dummy, rows in results:
        for row in rows:
            counts[row[-1]] = counts.get(row[-1], 0) + 1
    unknown = [(case, row[0], row[4], known.reason(case, row[0], row[4]))
               for case, rows in results for row in rows if row[-1] == oracle.UNKNOWN]
    if unknown:
        print('\nunknown cells, by why:\n%s\n' % oracle.unknown_text(unknown))
    print('cells: %s' % ', '.join('%s %d' % item for item in sorted(counts.items())))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
