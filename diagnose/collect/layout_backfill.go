package collect

import (
	"regexp"
	"strings"
)

// The replication backfill reads of the source registry (ECR, 2026-10):
//
//	DIR/<source>/<region>/list-replication-backfills.json
//	DIR/<source>/<region>/describe-replication-backfill-results/<backfill-id>.json
//	    (aws ecr describe-replication-backfill-results --replication-backfill-id <id> --result-status-filter FAILED)
const (
	ListBackfillsFile  = "list-replication-backfills"
	BackfillResultsDir = "describe-replication-backfill-results"
)

// BackfillResultsName is the call name for one backfill's failed results.
func BackfillResultsName(id string) string { return BackfillResultsDir + "/" + id }

// backfillIDRE is what a backfill id may be to name a file: AWS documents
// no pattern for it, so anything that could climb out of the folder, or is
// not a plain name on every system, is refused.
var backfillIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func validBackfillID(id string) bool { return backfillIDRE.MatchString(id) }

// isBackfillCall reports whether name is one of the backfill calls.
func isBackfillCall(name string) bool {
	if name == ListBackfillsFile {
		return true
	}
	id, ok := strings.CutPrefix(name, BackfillResultsDir+"/")
	return ok && validBackfillID(id)
}
