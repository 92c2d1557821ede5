package awstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// AthenaResults queues the rows of the next Athena query moto answers in
// region (moto's /moto-api/static/athena/query-results: moto runs no SQL).
// The header row comes first, as Athena returns a SELECT; a nil value is
// NULL.
func (m *Moto) AthenaResults(t testing.TB, region string, columns []string, rows [][]*string) {
	t.Helper()
	datum := func(v *string) map[string]any {
		if v == nil {
			return map[string]any{}
		}
		return map[string]any{"VarCharValue": *v}
	}
	var info []map[string]any
	header := []map[string]any{}
	for _, c := range columns {
		c := c
		info = append(info, map[string]any{"Name": c, "Type": "varchar"})
		header = append(header, datum(&c))
	}
	all := []map[string]any{{"Data": header}}
	for _, r := range rows {
		var data []map[string]any
		for _, v := range r {
			data = append(data, datum(v))
		}
		all = append(all, map[string]any{"Data": data})
	}
	m.motoAPI(t, "/moto-api/static/athena/query-results", map[string]any{
		"account_id": SourceAccount, "region": region,
		"results": []any{map[string]any{"rows": all, "column_info": info}},
	})
}

// AthenaRunning keeps Athena queries queued or running for this many status
// checks each (moto's state manager; 0 restores immediate success).
func (m *Moto) AthenaRunning(t testing.TB, checks int) {
	t.Helper()
	transition := map[string]any{"progression": "immediate"}
	if checks > 0 {
		transition = map[string]any{"progression": "manual", "times": checks}
	}
	m.motoAPI(t, "/moto-api/state-manager/set-transition", map[string]any{"model_name": "athena::execution", "transition": transition})
}

func (m *Moto) motoAPI(t testing.TB, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(m.MotoURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("moto %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("moto %s: HTTP %d", path, resp.StatusCode)
	}
}

// athena adds to moto's Athena what a reader of large results meets:
// GetQueryResults pages of MaxResults rows (moto returns every row at
// once) and a DataScannedInBytes of AthenaScanned (moto reports 0).
func (m *Moto) athena(w http.ResponseWriter, r *http.Request, op string, body []byte) bool {
	switch op {
	case "athena:GetQueryResults", "athena:GetQueryExecution":
	case "athena:StartQueryExecution":
		var in AthenaStart
		_ = json.Unmarshal(body, &in)
		m.mu.Lock()
		m.athenaStarts = append(m.athenaStarts, in)
		m.mu.Unlock()
		return false // moto starts it
	default:
		return false
	}
	req, _ := http.NewRequest(r.Method, m.MotoURL+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		writeJSON(w, 500, map[string]string{"__type": "InternalServerException", "message": err.Error()})
		return true
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(out, &doc) != nil {
		w.WriteHeader(resp.StatusCode)
		w.Write(out)
		return true
	}
	if op == "athena:GetQueryExecution" {
		if qe, ok := doc["QueryExecution"].(map[string]any); ok {
			if st, ok := qe["Statistics"].(map[string]any); ok {
				m.mu.Lock()
				st["DataScannedInBytes"] = m.AthenaScanned
				m.mu.Unlock()
			}
		}
		writeJSON(w, 200, doc)
		return true
	}
	var in struct {
		MaxResults int
		NextToken  string
	}
	_ = json.Unmarshal(body, &in)
	rs, _ := doc["ResultSet"].(map[string]any)
	rows, _ := rs["Rows"].([]any)
	from, _ := strconv.Atoi(in.NextToken)
	from = min(from, len(rows))
	to := len(rows)
	if in.MaxResults > 0 {
		to = min(from+in.MaxResults, len(rows))
	}
	rs["Rows"] = rows[from:to]
	if to < len(rows) {
		doc["NextToken"] = strconv.Itoa(to)
	}
	m.mu.Lock()
	m.athenaPages++
	m.mu.Unlock()
	writeJSON(w, 200, doc)
	return true
}

// AthenaPages is the number of GetQueryResults pages served.
func (m *Moto) AthenaPages() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.athenaPages
}

// AthenaStart is what a StartQueryExecution asked: the SQL and the values
// bound to its ? placeholders, in order.
type AthenaStart struct {
	QueryString         string
	ExecutionParameters []string
	WorkGroup           string
}

// AthenaStarts returns the queries started, in order.
func (m *Moto) AthenaStarts() []AthenaStart {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]AthenaStart(nil), m.athenaStarts...)
}
