package awstest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// interceptAccount answers the Account Management API's GetRegionOptStatus
// (moto has none) from Moto.RegionOptIn, by "account/region" of the
// caller's own account; "ENABLED" when not set. Accounts in
// Moto.DenyRegionOptIn are refused as IAM would without
// account:GetRegionOptStatus.
func (m *Moto) interceptAccount(w http.ResponseWriter, r *http.Request, op string, body []byte) bool {
	if op != "account:POST /getRegionOptStatus" {
		return false
	}
	var in struct{ RegionName string }
	_ = json.Unmarshal(body, &in)
	key, _, _ := signer(r)
	acct := m.AccountOf(key)
	m.mu.Lock()
	status, deny := m.RegionOptIn[acct+"/"+in.RegionName], m.DenyRegionOptIn[acct]
	m.mu.Unlock()
	if deny {
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		writeJSON(w, 403, map[string]string{"message": fmt.Sprintf("User: arn:aws:iam::%s:user/ci is not authorized to perform: account:GetRegionOptStatus on resource: arn:aws:account::%s:account because no identity-based policy allows the account:GetRegionOptStatus action", acct, acct)})
		return true
	}
	if status == "" {
		status = "ENABLED"
	}
	writeJSON(w, 200, map[string]string{"RegionName": in.RegionName, "RegionOptStatus": status})
	return true
}
