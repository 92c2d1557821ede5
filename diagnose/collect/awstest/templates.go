package awstest

import "net/http"

// interceptTemplates answers DescribeRepositoryCreationTemplates from
// Moto.Templates, by "account/region" (moto has no creation templates).
func (m *Moto) interceptTemplates(w http.ResponseWriter, r *http.Request, op string) bool {
	if op != "ecr:DescribeRepositoryCreationTemplates" {
		return false
	}
	key, region, _ := signer(r)
	account := m.AccountOf(key)
	m.mu.Lock()
	ts := m.Templates[account+"/"+region]
	m.mu.Unlock()
	if ts == nil {
		ts = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"registryId": account, "repositoryCreationTemplates": ts})
	return true
}
