package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// S3API is what the S3 trail reader needs: list a prefix, get an object.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Options is an events question about trail files in S3.
type S3Options struct {
	URLs            []string      // s3://BUCKET[/PREFIX]: the trail's bucket, AWSLogs/ or deeper
	Trail           trail.Options // the question; Workers is the number of GETs in flight
	Profile, Region string
	AWS             AWS
	// Progress gets the listing's progress line (a terminal); the scan's
	// goes to Trail.Progress.
	Progress io.Writer
}

// S3Stats says what an S3 read cost.
type S3Stats struct {
	Lists    int // ListObjectsV2 requests
	Prefixes int // day folders listed
	Keys     int // trail files selected and read
}

const (
	// s3Workers is the default number of GETs (and lists) in flight: the
	// network, not the CPU, is what a GET waits for.
	s3Workers = 16
	// maxDays bounds the day folders enumerated without listing.
	maxDays = 3700
)

// ParseS3URL splits s3://bucket/prefix, validating the bucket name.
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q: not an s3://BUCKET/PREFIX URL", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if err := ValidateBucket(bucket); err != nil {
		return "", "", fmt.Errorf("%s: %w", u, err)
	}
	return bucket, strings.Trim(prefix, "/"), nil
}

func (a AWS) s3Client(cfg aws.Config) S3API {
	opt := func(o *s3.Options) {
		// An endpoint of one's own (an emulator, a gateway) seldom serves
		// virtual-hosted buckets.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		// Trail objects carry no checksum of their own: skipping the
		// check is expected, not worth a line on stderr per object.
		o.DisableLogOutputChecksumValidationSkipped = true
	}
	if a.S3 != nil {
		return a.S3(cfg, opt)
	}
	return s3.NewFromConfig(cfg, opt)
}

// S3Events lists the trail files under the URLs that the question can
// need, in the AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
// layout: only the accounts, regions and days asked are listed (named
// prefixes need no listing at all), and each file is streamed through
// trail's reader, Workers GETs at a time.
func S3Events(ctx context.Context, o S3Options) (*trail.Result, *S3Stats, error) {
	sess := newSession(o.AWS)
	cfg, err := sess.loadConfig(ctx, o.Profile, strings.TrimSpace(profileFlag(o.Profile)), o.Region)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Region == "" {
		return nil, nil, errors.New("no AWS region for S3: pass --aws-region (the bucket's region), set AWS_REGION, or set region in the profile")
	}
	client := o.AWS.s3Client(cfg)
	workers := o.Trail.Workers
	if workers <= 0 {
		workers = s3Workers
	}
	stats := &S3Stats{}
	var objs []trail.Object
	var warnings []string
	for _, u := range o.URLs {
		bucket, prefix, err := ParseS3URL(u)
		if err != nil {
			return nil, nil, err
		}
		p := &s3Planner{client: client, bucket: bucket, opts: o.Trail, workers: workers, prog: newProgress(o.Progress)}
		keys, err := p.plan(ctx, prefix)
		p.prog.clear()
		stats.Lists += int(p.lists.Load())
		stats.Prefixes += p.days
		warnings = append(warnings, p.warnings...)
		if err != nil {
			return nil, stats, fmt.Errorf("listing %s: %w", u, err)
		}
		for _, k := range keys {
			key := k.key
			objs = append(objs, trail.Object{Name: "s3://" + bucket + "/" + key, Size: k.size, Open: func(ctx context.Context) (io.ReadCloser, error) {
				out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				if err != nil {
					return nil, describeErr(err)
				}
				return out.Body, nil
			}})
		}
	}
	stats.Keys = len(objs)
	opts := o.Trail
	opts.Workers = workers
	res, err := trail.ReadObjects(ctx, objs, opts)
	if res != nil {
		res.Warnings = append(warnings, res.Warnings...)
	}
	return res, stats, err
}

type s3Key struct {
	key  string
	size int64
}

// s3Planner walks the trail layout of one bucket.
type s3Planner struct {
	client  S3API
	bucket  string
	opts    trail.Options
	workers int
	prog    *progress

	lists    atomic.Int64
	days     int
	warnings []string
}

// children lists the folder names right under prefix (which ends in /).
func (p *s3Planner) children(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	pages := s3.NewListObjectsV2Paginator(p.client, &s3.ListObjectsV2Input{Bucket: aws.String(p.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	for pages.HasMorePages() {
		p.lists.Add(1)
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, describeErr(err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name != "" {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// plan returns the keys to read under prefix (a path into the layout).
func (p *s3Planner) plan(ctx context.Context, prefix string) ([]s3Key, error) {
	var segs []string
	if prefix != "" {
		segs = strings.Split(prefix, "/")
	}
	root, rest := "", []string(nil)
	if i := slices.Index(segs, "AWSLogs"); i >= 0 {
		root, rest = strings.Join(segs[:i+1], "/")+"/", segs[i+1:]
	} else {
		if prefix != "" {
			root = prefix + "/"
		}
		root += "AWSLogs/"
	}
	var regionRoots []string // .../CloudTrail/REGION/
	// The accounts' region folders are listed side by side, as their days
	// are (below); the roots keep the accounts' order.
	addAccounts := func(base string, accounts []string, rest []string) error {
		roots := make([][]string, len(accounts))
		errs := make([]error, len(accounts))
		if err := inParallel(ctx, len(accounts), p.workers, func(i int) {
			roots[i], errs[i] = p.regionRoots(ctx, base, accounts[i], rest)
		}); err != nil {
			return err
		}
		for i := range accounts {
			if errs[i] != nil {
				return errs[i]
			}
			regionRoots = append(regionRoots, roots[i]...)
		}
		return nil
	}
	accountsUnder := func(base string, rest []string, listed []string) error {
		accounts := p.opts.Accounts
		if len(rest) > 0 {
			accounts, rest = []string{rest[0]}, rest[1:]
			if len(p.opts.Accounts) > 0 && !slices.Contains(p.opts.Accounts, accounts[0]) {
				return nil
			}
		}
		if len(accounts) == 0 {
			if listed == nil {
				found, err := p.children(ctx, base)
				if err != nil {
					return err
				}
				listed = found
			}
			for _, f := range listed {
				if awsid.IsAccountID(f) {
					accounts = append(accounts, f)
				}
			}
		}
		return addAccounts(base, accounts, rest)
	}
	switch {
	case len(rest) > 0 && strings.HasPrefix(rest[0], "o-"):
		if err := accountsUnder(root+rest[0]+"/", rest[1:], nil); err != nil {
			return nil, err
		}
	case len(rest) > 0:
		if err := accountsUnder(root, rest, nil); err != nil {
			return nil, err
		}
	default:
		// AWSLogs/ holds accounts, or organizations (o-...) holding them.
		top, err := p.children(ctx, root)
		if err != nil {
			return nil, err
		}
		var accounts []string
		for _, f := range top {
			if strings.HasPrefix(f, "o-") {
				if err := accountsUnder(root+f+"/", nil, nil); err != nil {
					return nil, err
				}
			} else if awsid.IsAccountID(f) {
				accounts = append(accounts, f)
			}
		}
		if len(accounts) > 0 {
			if err := accountsUnder(root, nil, accounts); err != nil {
				return nil, err
			}
		}
	}
	if len(regionRoots) == 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("s3://%s/%s: no account folder of the trail layout (AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/) for the question: is the trail's key prefix missing from the URL?", p.bucket, root))
	}
	// Each region folder's years, months and days are listed one level
	// after another: the folders side by side, workers at a time, so that
	// an unbounded question waits for about three list round trips, not
	// three per account and region.
	found := make([][]string, len(regionRoots))
	errs := make([]error, len(regionRoots))
	if err := inParallel(ctx, len(regionRoots), p.workers, func(i int) {
		found[i], errs[i] = p.dayPrefixes(ctx, regionRoots[i])
	}); err != nil {
		return nil, err
	}
	var days []string
	for i := range regionRoots {
		if errs[i] != nil {
			return nil, errs[i]
		}
		days = append(days, found[i]...)
	}
	p.days = len(days)
	return p.listDays(ctx, days)
}

// regionRoots are the folders of account's regions that the question
// asks (listed when it names none), under base, with the rest of the URL's
// path (CloudTrail/REGION/...) appended.
func (p *s3Planner) regionRoots(ctx context.Context, base, a string, rest []string) ([]string, error) {
	ct := base + a + "/CloudTrail/"
	r := rest
	if len(r) > 0 {
		if r[0] != "CloudTrail" {
			return nil, fmt.Errorf("%s%s/%s: not a CloudTrail log folder (the layout is AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD)", base, a, r[0])
		}
		r = r[1:]
	}
	regions := p.opts.Regions
	if len(r) > 0 {
		regions, r = []string{r[0]}, r[1:]
	}
	if len(regions) == 0 {
		found, err := p.children(ctx, ct)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			if awsid.IsRegion(f) {
				regions = append(regions, f)
			}
		}
	}
	var out []string
	for _, reg := range regions {
		if len(p.opts.Regions) > 0 && !slices.Contains(p.opts.Regions, reg) {
			continue
		}
		out = append(out, ct+reg+"/"+strings.Join(r, "/"))
	}
	return out, nil
}

// dayPrefixes are the YYYY/MM/DD/ folders under a region's folder (which
// may already name a year or month) that may hold events of the window:
// computed when the window is bounded, listed otherwise.
func (p *s3Planner) dayPrefixes(ctx context.Context, regionRoot string) ([]string, error) {
	base, fixed, _ := strings.Cut(regionRoot, "/CloudTrail/")
	parts := strings.Split(fixed, "/") // REGION, then any of YYYY, MM, DD
	base = base + "/CloudTrail/" + parts[0] + "/"
	fixedDate := parts[1:]
	if len(fixedDate) > 0 && fixedDate[len(fixedDate)-1] == "" {
		fixedDate = fixedDate[:len(fixedDate)-1]
	}
	for _, f := range fixedDate {
		if _, err := strconv.Atoi(f); err != nil || len(fixedDate) > 3 {
			return nil, fmt.Errorf("%s%s: not a YYYY/MM/DD date folder", base, strings.Join(fixedDate, "/"))
		}
	}
	o := p.opts
	if !o.Since.IsZero() && !o.Until.IsZero() {
		var out []string
		// The days from --since's to the last one trail's delivery margin
		// lets hold events before --until (MayHold decides each).
		last := o.Until.UTC().AddDate(0, 0, 2)
		for d := o.Since.UTC().Truncate(24 * time.Hour); d.Before(last); d = d.AddDate(0, 0, 1) {
			if len(out) >= maxDays {
				break
			}
			name := d.Format("2006/01/02")
			if len(fixedDate) > 0 && !strings.HasPrefix(name+"/", strings.Join(fixedDate, "/")+"/") {
				continue
			}
			if o.MayHold(d, d.AddDate(0, 0, 1)) {
				out = append(out, base+name+"/")
			}
		}
		if len(out) < maxDays {
			return out, nil
		}
	}
	// Unbounded: list years, months and days, skipping those outside the window.
	prefixes := []string{base}
	for level := 0; level < 3; level++ {
		var next []string
		for _, pre := range prefixes {
			var names []string
			if level < len(fixedDate) {
				names = []string{fixedDate[level]}
			} else {
				found, err := p.children(ctx, pre)
				if err != nil {
					return nil, err
				}
				names = found
			}
			for _, n := range names {
				if _, err := strconv.Atoi(n); err != nil {
					continue
				}
				ymd := strings.Split(strings.TrimPrefix(pre+n, base), "/")
				from, to := dateRange(ymd)
				if from.IsZero() || !o.MayHold(from, to) {
					continue
				}
				next = append(next, pre+n+"/")
			}
		}
		prefixes = next
	}
	return prefixes, nil
}

// dateRange is the time span of a YYYY, YYYY/MM or YYYY/MM/DD folder.
func dateRange(ymd []string) (from, to time.Time) {
	nums := make([]int, len(ymd))
	for i, s := range ymd {
		v, err := strconv.Atoi(s)
		if err != nil {
			return time.Time{}, time.Time{}
		}
		nums[i] = v
	}
	switch len(nums) {
	case 1:
		from = time.Date(nums[0], 1, 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(1, 0, 0)
	case 2:
		from = time.Date(nums[0], time.Month(nums[1]), 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 1, 0)
	case 3:
		from = time.Date(nums[0], time.Month(nums[1]), nums[2], 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 0, 1)
	}
	return time.Time{}, time.Time{}
}

// listDays lists the files of each day folder, workers at a time, and keeps
// the trail log files delivered inside the window (file names carry the
// delivery time). The keys come back in folder order.
func (p *s3Planner) listDays(ctx context.Context, days []string) ([]s3Key, error) {
	found := make([][]s3Key, len(days))
	errs := make([]error, len(days))
	var done atomic.Int64
	if err := inParallel(ctx, len(days), p.workers, func(i int) {
		found[i], errs[i] = p.listFiles(ctx, days[i])
		n := done.Add(1)
		p.prog.set("s3", fmt.Sprintf("listing s3://%s: %d of %d day folders", p.bucket, n, len(days)))
	}); err != nil {
		return nil, err
	}
	var out []s3Key
	for i := range days {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", days[i], errs[i])
		}
		out = append(out, found[i]...)
	}
	return out, nil
}

// inParallel calls fn(0) to fn(n-1), workers at a time, and returns the
// context's error if it ended first.
func inParallel(ctx context.Context, n, workers int, fn func(i int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (p *s3Planner) listFiles(ctx context.Context, prefix string) ([]s3Key, error) {
	var out []s3Key
	pages := s3.NewListObjectsV2Paginator(p.client, &s3.ListObjectsV2Input{Bucket: aws.String(p.bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		p.lists.Add(1)
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, describeErr(err)
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if !trail.IsTrailFile(key) {
				continue
			}
			if t, ok := trail.DeliveryTime(path.Base(key)); ok && !p.opts.MayHold(t, t) {
				continue
			}
			out = append(out, s3Key{key: key, size: aws.ToInt64(obj.Size)})
		}
	}
	return out, nil
}
