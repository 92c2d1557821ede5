package awstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// BackfillStandIn holds the replication backfills of the source registry,
// as the API returns them (moto has no backfill).
type BackfillStandIn struct {
	// List is ListReplicationBackfills' "backfills" (summaries).
	List []map[string]any
	// Results are DescribeReplicationBackfillResults answers by backfill
	// id; the stand-in keeps only results whose status matches the
	// request's resultStatusFilter.
	Results map[string]map[string]any
	// Deny answers both calls AccessDeniedException, as IAM does without
	// ecr:ListReplicationBackfills.
	Deny bool
}

func (m *Moto) interceptBackfill(w http.ResponseWriter, r *http.Request, op string) bool {
	if op != "ecr:ListReplicationBackfills" && op != "ecr:DescribeReplicationBackfillResults" {
		return false
	}
	key, _, _ := signer(r)
	account := m.AccountOf(key)
	m.mu.Lock()
	bf := m.Backfills
	m.mu.Unlock()
	if bf.Deny {
		action := "ecr:" + op[len("ecr:"):]
		writeJSON(w, 400, map[string]string{"__type": "AccessDeniedException",
			"message": "User: arn:aws:iam::" + account + ":user/moto is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"})
		return true
	}
	if op == "ecr:ListReplicationBackfills" {
		list := bf.List
		if list == nil {
			list = []map[string]any{}
		}
		writeJSON(w, 200, map[string]any{"registryId": account, "backfills": list})
		return true
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		ID     string `json:"replicationBackfillId"`
		Filter string `json:"resultStatusFilter"`
	}
	_ = json.Unmarshal(body, &in)
	res, ok := bf.Results[in.ID]
	if !ok {
		writeJSON(w, 400, map[string]string{"__type": "ReplicationBackfillNotFoundException", "message": "The replication backfill " + in.ID + " does not exist"})
		return true
	}
	out := map[string]any{"registryId": account}
	for k, v := range res {
		out[k] = v
	}
	var kept []any
	results, _ := res["results"].([]map[string]any)
	for _, x := range results {
		if in.Filter == "" || x["status"] == in.Filter {
			kept = append(kept, x)
		}
	}
	if kept == nil {
		kept = []any{}
	}
	out["results"] = kept
	writeJSON(w, 200, out)
	return true
}
