package collect

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// destAccess is how one foreign destination account is read.
type destAccess struct {
	cfg  aws.Config
	own  bool   // cfg holds that account's own credentials
	how  string // "--dest-profile P", "--assume-role ARN" or "source credentials"
	deny error  // an AWS refusal to give credentials (stored for each read)
}

// resolveDest finds credentials for a foreign account: its profile, else the
// role, else the source credentials (which cannot read its registry policy).
func (c *capture) resolveDest(ctx context.Context, account string, da *destAccess) {
	c.prog.set(account, "getting credentials for account "+account)
	if profile, ok := c.opts.DestProfiles[account]; ok {
		da.how = "--dest-profile " + account + "=" + profile
		cfg, err := c.sess.loadConfig(ctx, profile, "--dest-profile "+account+"="+profile, c.srcAt.Region)
		if err != nil {
			c.warnf("account %s: %v; the destination is not read", account, err)
			c.credentialsFailed(account, da.how, err)
			return
		}
		got, err := c.sess.callerAccount(ctx, cfg)
		if err != nil {
			c.warnf("account %s: checking the credentials of profile %q: %s", account, profile, explain(err, "", profile))
			if _, isAPI := apiError(err); isAPI {
				da.deny = err
			}
			c.credentialsFailed(account, da.how, err)
			return
		}
		if got != account {
			c.warnf("account %s: profile %q holds credentials of account %s, not %s; fix --dest-profile", account, profile, got, account)
			c.credentialsFailed(account, da.how, fmt.Errorf("they are credentials of account %s", got))
			return
		}
		da.cfg, da.own = cfg, true
		return
	}
	if c.opts.AssumeRole != "" {
		arn := awsid.RoleARN(c.srcAt.Region, account, c.opts.AssumeRole)
		da.how = "--assume-role " + arn
		cfg, err := c.sess.assumeRole(ctx, c.src, arn, c.opts.ExternalID)
		if err != nil {
			c.warnf("account %s: assuming %s: %s", account, arn, c.assumeAdvice(err, arn))
			if _, isAPI := apiError(err); isAPI {
				da.deny = err
			}
			c.credentialsFailed(account, da.how, err)
			return
		}
		da.cfg, da.own = cfg, true
		return
	}
	da.cfg, da.how = c.src, "source credentials"
	c.warnf("account %s: no credentials for the destination account, so its registry policy and policy scope are not read (only another account's own credentials can read them); pass --assume-role NAME (a role in %s that allows ecr:GetRegistryPolicy, ecr:GetRepositoryPolicy, ecr:DescribeRepositories, ecr:GetAccountSetting and cloudtrail:LookupEvents) or --dest-profile %s=PROFILE", account, account, account)
}

// credentialsFailed records that the credentials given for account (how)
// did not work, for the snapshot: the destination's headline is then that,
// an error, not "not collected". A failure that says nothing of the
// credentials (AWS busy, no answer) is only the warning already given.
func (c *capture) credentialsFailed(account, how string, err error) {
	if isTransient(err) {
		return
	}
	reason := describe(err)
	var ce *CredentialsError
	if errors.As(err, &ce) {
		reason = "no usable credentials: " + ce.Err.Error()
	}
	c.mu.Lock()
	c.credFails[account] = CredentialFailure{Account: account, Given: how, Reason: reason}
	c.mu.Unlock()
}

// assumeAdvice words a failed --assume-role: only a refusal is blamed on the
// role's permissions and trust policy.
func (c *capture) assumeAdvice(err error, arn string) string {
	var ce *CredentialsError
	ae, isAPI := apiError(err)
	switch {
	case errors.As(err, &ce) && !errors.As(ce.Err, &ae):
		return ce.Error() // the source credentials themselves failed
	case !isAPI || isTransient(err):
		return explain(err, "sts:AssumeRole", c.opts.Profile)
	}
	what := describe(err) + "; the source principal needs sts:AssumeRole on " + arn + " and the role's trust policy must allow it"
	if c.opts.ExternalID == "" {
		what += " (pass --external-id if the trust policy requires one)"
	}
	return what
}

// readDestination reads one replication destination.
func (c *capture) readDestination(ctx context.Context, d diagnose.Location) error {
	repo := c.opts.Repository
	if d.Account == c.srcAt.Account {
		// Same account: no policy is involved; only whether the repository exists.
		client := c.sess.ecrClient(c.src, d.Account, d.Region)
		out, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
		c.noteTags(d, out)
		return c.record(d, DescribeRepositoriesFile, "ecr:DescribeRepositories", func() any { return toRepositories(out) }, err)
	}
	da := c.dests[d.Account]
	c.prog.set(d.String(), "reading destination "+d.String())
	if da.deny != nil {
		// The denial to get credentials is the reason these reads are unknown.
		for _, name := range []string{GetRegistryPolicyFile, RepositoryPolicyName(repo), DescribeRepositoriesFile, GetAccountSettingFile} {
			if err := c.recordErr(d, name, "", da.deny); err != nil {
				return err
			}
		}
		return nil
	}
	if da.cfg.Credentials == nil {
		return nil // no usable credentials: not collected, already warned
	}
	client := c.sess.ecrClient(da.cfg, d.Account, d.Region)
	type read struct {
		name, iamAction string
		own             bool // needs the account's own credentials
		call            func() (func() any, error)
		// skip says, from the reads before, why no check can use this one
		// ("": read it; nil: always read).
		skip func() string
	}
	// What the earlier reads say the later ones are needed for: the
	// pull-through-cache rules where replication is not allowed, the
	// repository policy where the repository is not known to be missing
	// and the registry policy does not settle replication (as scan),
	// the policy scope where it can change the policy checks, the
	// creation templates where replication may have to create the
	// repository.
	ptc, scope, allowed, exists, missing := false, true, false, false, false
	// settled begins the reason of the reads an allowing registry policy
	// makes useless.
	settled := fmt.Sprintf("the registry policy lets account %s's replication role replicate %s", c.srcAt.Account, repo)
	reads := []read{
		{GetRegistryPolicyFile, "ecr:GetRegistryPolicy", true, func() (func() any, error) {
			out, err := client.GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{})
			// Parsed once for what the later reads hang on; nil when
			// the read failed or the text is not a policy.
			var grant *diagnose.RegistryGrant
			if err == nil {
				grant, _ = diagnose.ParseRegistryGrant(aws.ToString(out.PolicyText))
			}
			allowed = grant.Settles(c.srcAt.Account, d, repo)
			ptc, scope = needsPTC(out, err, allowed), needsScope(err, grant)
			return func() any { return toRegistryPolicy(out) }, err
		}, nil},
		{DescribeRepositoriesFile, "ecr:DescribeRepositories", false, func() (func() any, error) {
			out, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}, RegistryId: aws.String(d.Account)})
			exists, missing = err == nil && listsRepository(out, repo), repositoryMissing(out, err, repo)
			c.noteTags(d, out)
			return func() any { return toRepositories(out) }, err
		}, nil},
		{RepositoryPolicyName(repo), "ecr:GetRepositoryPolicy", false, func() (func() any, error) {
			out, err := client.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String(repo), RegistryId: aws.String(d.Account)})
			return func() any { return toRepositoryPolicy(out) }, err
		}, func() string {
			switch {
			case missing:
				return fmt.Sprintf("describe-repositories says %s does not exist here, so it has no repository policy", repo)
			case allowed:
				return settled + ", with no condition left open, so no check reads the repository policy (a replication grant left there is not looked for)"
			}
			return ""
		}},
		{GetAccountSettingFile, "ecr:GetAccountSetting", true, func() (func() any, error) {
			out, err := client.GetAccountSetting(ctx, &ecr.GetAccountSettingInput{Name: aws.String("REGISTRY_POLICY_SCOPE")})
			return func() any { return toAccountSetting(out) }, err
		}, func() string {
			if !scope {
				return "the registry policy is missing or names only actions every REGISTRY_POLICY_SCOPE accepts (as does the grant a fix adds): the scope changes no policy check"
			}
			return ""
		}},
	}
	for _, r := range reads {
		if r.own && !da.own {
			continue
		}
		if c.unanswered(d) {
			// One read got no answer: the others would wait as long.
			c.warnf("%s %s: not read: an earlier read of %s got no answer", d, r.name, d)
			continue
		}
		if r.skip != nil {
			if why := r.skip(); why != "" {
				c.leaveOut(d, r.name, why)
				continue
			}
		}
		out, err := r.call()
		if err := c.record(d, r.name, r.iamAction, out, err); err != nil {
			return err
		}
	}
	if !da.own || c.unanswered(d) {
		return nil
	}
	if exists {
		c.leaveOut(d, TemplatesFile, fmt.Sprintf("%s exists here, so replication creates no repository and no creation template applies", repo))
	} else {
		templates, err := c.readTemplatesOut(ctx, client, d)
		if err != nil {
			return err
		}
		if key := templateKey(templates, repo); key != "" && !c.unanswered(d) {
			if err := c.readKeyPolicy(ctx, da.cfg, d, key); err != nil {
				return err
			}
		}
	}
	switch {
	case ptc && !c.unanswered(d):
		return c.readPullThroughCache(ctx, client, d)
	case allowed:
		c.leaveOut(d, PullThroughCacheFile, settled+", so a pull-through-cache rule explains no failure here")
	}
	return nil
}

// needsScope says whether a destination's REGISTRY_POLICY_SCOPE is worth a
// read, given its registry policy: only when the scope can change what the
// policy checks find (RegistryGrant.ScopeMatters). With no registry policy,
// the only policy checked is the fix's, whose grant every scope accepts; a
// read that failed, or a policy that does not parse (grant nil), is read on.
func needsScope(err error, grant *diagnose.RegistryGrant) bool {
	if err != nil {
		ae, ok := apiError(err)
		return !ok || ae.ErrorCode() != "RegistryPolicyNotFoundException"
	}
	return grant == nil || grant.ScopeMatters()
}

// listsRepository reports whether describe-repositories lists repo: it
// exists, and creation templates cannot apply to it.
func listsRepository(out *ecr.DescribeRepositoriesOutput, repo string) bool {
	for _, r := range out.Repositories {
		if aws.ToString(r.RepositoryName) == repo {
			return true
		}
	}
	return false
}

// repositoryMissing reports whether describe-repositories says repo does not
// exist: RepositoryNotFoundException, or a whole listing without it.
func repositoryMissing(out *ecr.DescribeRepositoriesOutput, err error, repo string) bool {
	if err != nil {
		ae, ok := apiError(err)
		return ok && ae.ErrorCode() == "RepositoryNotFoundException"
	}
	return aws.ToString(out.NextToken) == "" && !listsRepository(out, repo)
}

// readOtherRegion reads a destination account's registry policy in a region
// it is not a destination in, to catch a grant put in the wrong region.
func (c *capture) readOtherRegion(ctx context.Context, loc diagnose.Location) error {
	da := c.dests[loc.Account]
	if da == nil || !da.own {
		return nil
	}
	client := c.sess.ecrClient(da.cfg, loc.Account, loc.Region)
	out, err := client.GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{})
	return c.record(loc, GetRegistryPolicyFile, "ecr:GetRegistryPolicy", func() any { return toRegistryPolicy(out) }, err)
}
