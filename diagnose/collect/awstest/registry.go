package awstest

import (
	"encoding/json"
	"net/http"
)

// interceptRegistry answers DescribeRegistry with the replication
// configuration a scenario put, field for field. moto validates and stores
// the put itself, but its model predates deleteReplication (ECR, 2026-11)
// and drops it.
func (m *Moto) interceptRegistry(w http.ResponseWriter, r *http.Request, op string) bool {
	if m.interceptBackfill(w, r, op) || m.interceptTemplates(w, r, op) || m.interceptPTC(w, r, op) {
		return true
	}
	if op != "ecr:DescribeRegistry" {
		return false
	}
	key, region, _ := signer(r)
	account := m.AccountOf(key)
	m.mu.Lock()
	cfg, ok := m.replication[account+"/"+region]
	m.mu.Unlock()
	if !ok {
		return false
	}
	writeJSON(w, 200, map[string]any{"registryId": account, "replicationConfiguration": cfg})
	return true
}

// keepReplication records the configuration a scenario put in
// account/region, as the API's JSON.
func (m *Moto) keepReplication(account, region string, rules []Rule) {
	type dest struct {
		Region     string `json:"region"`
		RegistryID string `json:"registryId"`
	}
	type filter struct {
		Filter     string `json:"filter"`
		FilterType string `json:"filterType"`
	}
	type rule struct {
		Destinations      []dest          `json:"destinations"`
		RepositoryFilters []filter        `json:"repositoryFilters,omitempty"`
		DeleteReplication map[string]bool `json:"deleteReplication,omitempty"`
	}
	out := struct {
		Rules []rule `json:"rules"`
	}{Rules: []rule{}}
	for _, r := range rules {
		wr := rule{Destinations: []dest{}}
		for _, d := range r.Destinations {
			wr.Destinations = append(wr.Destinations, dest{Region: d.Region, RegistryID: d.Account})
		}
		for _, f := range r.Filters {
			wr.RepositoryFilters = append(wr.RepositoryFilters, filter{Filter: f, FilterType: "PREFIX_MATCH"})
		}
		if r.DeleteReplication {
			wr.DeleteReplication = map[string]bool{"enabled": true}
		}
		out.Rules = append(out.Rules, wr)
	}
	b, _ := json.Marshal(out)
	m.mu.Lock()
	if m.replication == nil {
		m.replication = map[string]json.RawMessage{}
	}
	m.replication[account+"/"+region] = b
	m.mu.Unlock()
}
