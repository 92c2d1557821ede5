package awstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Lake is a loopback stand-in for CloudTrail Lake's StartQuery,
// GetQueryResults and CancelQuery (moto has no Lake queries). Each query
// answers Rows, PageSize rows a page, after staying RUNNING for Polls
// GetQueryResults calls; a query may be cancelled while it runs.
type Lake struct {
	URL string
	// Rows answer every query: one map of column to value per row.
	Rows []map[string]string
	// PageSize is the rows of one page; 0 means all.
	PageSize int
	// Polls is how many GetQueryResults calls see the query RUNNING.
	Polls int
	// BytesScanned is reported in QueryStatistics.
	BytesScanned int64

	mu         sync.Mutex
	statements []string
	calls      map[string]int
	queries    map[string]*lakeQuery
}

type lakeQuery struct {
	polls     int
	cancelled bool
}

// StartLake serves the stand-in until the test ends.
func StartLake(t testing.TB) *Lake {
	l := &Lake{calls: map[string]int{}, queries: map[string]*lakeQuery{}}
	srv := httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(srv.Close)
	l.URL = srv.URL
	return l
}

// Statements returns the SQL of the queries started, in order.
func (l *Lake) Statements() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.statements...)
}

// Calls counts the requests by operation.
func (l *Lake) Calls() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.calls {
		out[k] = v
	}
	return out
}

// Cancelled reports whether the query was cancelled.
func (l *Lake) Cancelled(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queries[id]
	return q != nil && q.cancelled
}

func (l *Lake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	var in struct {
		QueryStatement, QueryId, NextToken string
		QueryParameters                    []string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		ctError(w, 400, "InvalidParameterException", err.Error())
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[op]++
	switch op {
	case "StartQuery":
		if !strings.HasPrefix(strings.TrimSpace(in.QueryStatement), "SELECT") {
			ctError(w, 400, "InvalidQueryStatementException", "only SELECT statements are allowed")
			return
		}
		if len(in.QueryParameters) > 0 {
			ctError(w, 400, "InvalidParameterException", "QueryParameters require a QueryAlias")
			return
		}
		id := fmt.Sprintf("q-%d", len(l.statements)+1)
		l.statements = append(l.statements, in.QueryStatement)
		l.queries[id] = &lakeQuery{}
		writeJSON(w, 200, map[string]string{"QueryId": id})
	case "CancelQuery":
		q := l.queries[in.QueryId]
		if q == nil {
			ctError(w, 400, "QueryIdNotFoundException", "no such query")
			return
		}
		q.cancelled = true
		writeJSON(w, 200, map[string]string{"QueryId": in.QueryId, "QueryStatus": "CANCELLED"})
	case "GetQueryResults":
		q := l.queries[in.QueryId]
		if q == nil {
			ctError(w, 400, "QueryIdNotFoundException", "no such query")
			return
		}
		if q.cancelled {
			writeJSON(w, 200, map[string]any{"QueryStatus": "CANCELLED", "QueryResultRows": []any{}})
			return
		}
		if q.polls < l.Polls {
			q.polls++
			writeJSON(w, 200, map[string]any{"QueryStatus": "RUNNING", "QueryResultRows": []any{}})
			return
		}
		from, _ := strconv.Atoi(in.NextToken)
		from = min(from, len(l.Rows))
		to := len(l.Rows)
		if l.PageSize > 0 {
			to = min(from+l.PageSize, len(l.Rows))
		}
		rows := []any{}
		for _, row := range l.Rows[from:to] {
			// Lake answers each row as a list of one-column objects.
			var cells []map[string]string
			for k, v := range row {
				cells = append(cells, map[string]string{k: v})
			}
			rows = append(rows, cells)
		}
		out := map[string]any{"QueryStatus": "FINISHED", "QueryResultRows": rows,
			"QueryStatistics": map[string]any{"ResultsCount": to - from, "TotalResultsCount": len(l.Rows), "BytesScanned": l.BytesScanned}}
		if to < len(l.Rows) {
			out["NextToken"] = strconv.Itoa(to)
		}
		writeJSON(w, 200, out)
	default:
		ctError(w, 400, "UnknownOperationException", "the Lake stand-in serves StartQuery, GetQueryResults and CancelQuery")
	}
}
