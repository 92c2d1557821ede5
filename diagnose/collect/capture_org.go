package collect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// OrganizationsAPI is what a scan of an organization needs of AWS
// Organizations: its member accounts.
type OrganizationsAPI interface {
	organizations.ListAccountsAPIClient
}

// orgClient builds the Organizations client of cfg: the session's guard and
// counter come with cfg, the per-call deadline is d.
func (s *session) orgClient(cfg aws.Config, d time.Duration) OrganizationsAPI {
	newOrg := s.aws.Organizations
	if newOrg == nil {
		newOrg = func(cfg aws.Config, opts ...func(*organizations.Options)) OrganizationsAPI {
			return organizations.NewFromConfig(cfg, opts...)
		}
	}
	return timedOrg{newOrg(cfg), d}
}

type timedOrg struct {
	c OrganizationsAPI
	d time.Duration
}

func (t timedOrg) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, o ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.c.ListAccounts(ctx, in, o...)
}

// organizationAccounts lists the ACTIVE accounts of the caller's
// organization, sorted, with one line per account left out (suspended,
// closing). It must be called with the credentials of the management
// account or a delegated administrator: any other account is refused.
func organizationAccounts(ctx context.Context, client OrganizationsAPI, profile string) (active, skipped []string, err error) {
	pages := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing the accounts of the organization: %s; --organization needs the credentials of the management account or of a delegated administrator, with organizations:ListAccounts",
				explain(err, "organizations:ListAccounts", profile))
		}
		for _, a := range out.Accounts {
			id := aws.ToString(a.Id)
			if !awsid.IsAccountID(id) {
				skipped = append(skipped, fmt.Sprintf("%q (not a 12-digit account id)", id))
				continue
			}
			if state := accountState(a); state != "ACTIVE" {
				skipped = append(skipped, fmt.Sprintf("%s (%s)", id, strings.ToLower(state)))
				continue
			}
			active = append(active, id)
		}
	}
	sort.Strings(active)
	return active, skipped, nil
}

// accountState is the account's State, or its older Status (retired in
// 2026) where an API answers only that.
func accountState(a orgtypes.Account) string {
	if a.State != "" {
		return string(a.State)
	}
	if a.Status != "" {
		return string(a.Status)
	}
	return "unknown state"
}
