package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/charmbracelet/x/term"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// lookupPageSize is the most LookupEvents returns per call.
const lookupPageSize = 50

// trailPair is one (account, region) whose CloudTrail event history is read.
type trailPair struct {
	loc diagnose.Location
	cfg aws.Config
	// serves are the destinations whose records land here: the lookup pages
	// on until each has an event for the repository (or MaxEvents). With
	// none, it stops at the first event for the repository.
	serves []diagnose.Location

	mu      sync.Mutex
	events  []cttypes.Event
	scanned int
	found   map[diagnose.Location]bool // destinations with an event for the repository
	done    bool                       // the lookup finished (possibly early); events are usable
}

// trailPairs are the (account, region) pairs to search, in the order their
// copies of an event are preferred (failure modes §2.3): the source account
// in each destination region, the destination account in its region when
// readable, the source account in the source region. first are the source
// account's pairs, read at once: every destination's records land there, so
// one query per (account, region) serves them all, split by destination
// afterwards. fallback are the destination accounts' own pairs, read only
// for a destination the first found no event for (see lookupFallbacks).
func (c *capture) trailPairs(dests []diagnose.Location) (first, fallback []*trailPair) {
	seen := map[diagnose.Location]*trailPair{}
	add := func(loc diagnose.Location, cfg aws.Config) *trailPair {
		if p := seen[loc]; p != nil {
			return p
		}
		p := &trailPair{loc: loc, cfg: cfg, found: map[diagnose.Location]bool{}}
		seen[loc] = p
		c.pairs = append(c.pairs, p)
		return p
	}
	for _, d := range dests {
		p := add(diagnose.Location{Account: c.srcAt.Account, Region: d.Region}, c.src)
		p.serves = append(p.serves, d)
	}
	for _, d := range dests {
		if da := c.dests[d.Account]; da != nil && da.own {
			p := add(d, da.cfg)
			p.serves = append(p.serves, d)
		}
	}
	add(c.srcAt, c.src)
	for _, p := range c.pairs {
		if p.loc.Account == c.srcAt.Account {
			first = append(first, p)
		} else {
			fallback = append(fallback, p)
		}
	}
	return first, fallback
}

// lookupFallbacks reads the destination accounts' own CloudTrail, once the
// source account's lookups are done, for the destinations they found no
// event for; a destination the source account already holds evidence of
// costs no call. Each pair is its own (account, region), so the lookups run
// at once and each stays under LookupEvents' 2 requests per second per
// account and region (failure modes §2.5) by paging one request at a time.
func (c *capture) lookupFallbacks(ctx context.Context, first, fallback []*trailPair, goRun func(func() error)) {
	covered := map[diagnose.Location]bool{}
	for _, p := range first {
		p.mu.Lock()
		if p.done {
			for d := range p.found {
				covered[d] = true
			}
		}
		p.mu.Unlock()
	}
	for _, p := range fallback {
		if slices.ContainsFunc(p.serves, func(d diagnose.Location) bool { return !covered[d] }) {
			goRun(func() error { return c.lookup(ctx, p) })
		}
	}
}

// lookup reads the ReplicateImage events of one pair, newest first, and stops
// as soon as every destination it serves has an event for the repository
// (any event for it, when it serves none): the newest events are the
// evidence that settles the diagnosis; older pages cost calls and rate
// limit. It also stops after MaxEvents events.
func (c *capture) lookup(ctx context.Context, p *trailPair) error {
	client := c.sess.trailClient(p.cfg, p.loc.Account, p.loc.Region)
	start, end := c.opts.Since, c.opts.Now
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{
			AttributeKey:   cttypes.LookupAttributeKeyEventName,
			AttributeValue: aws.String("ReplicateImage"),
		}},
		StartTime:  &start,
		EndTime:    &end,
		MaxResults: aws.Int32(lookupPageSize),
	}
	pages := cloudtrail.NewLookupEventsPaginator(client, in)
	matched, page := 0, 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			if err := c.aborted(); err != nil {
				return err
			}
			if page == 0 {
				return c.recordErr(p.loc, LookupEventsPrefix, "cloudtrail:LookupEvents", err)
			}
			c.warnf("%s %s: page %d: %v; the events of the pages before it are kept", p.loc, LookupEventsPrefix, page+1, describe(err))
			break
		}
		page++
		p.mu.Lock()
		p.events = append(p.events, out.Events...)
		p.scanned += len(out.Events)
		scanned := p.scanned
		for _, e := range out.Events {
			if eventNamesRepository(e, c.opts.Repository) {
				matched++
				if d, ok := eventDestination(e); ok {
					p.found[d] = true
				}
			}
		}
		missing := 0
		for _, d := range p.serves {
			if !p.found[d] {
				missing++
			}
		}
		p.mu.Unlock()
		c.prog.set("trail "+p.loc.String(), fmt.Sprintf("CloudTrail %s: page %d, %d events, %d for %s", p.loc, page, scanned, matched, c.opts.Repository))
		if matched > 0 && missing == 0 {
			break
		}
		if scanned >= c.opts.MaxEvents && pages.HasMorePages() {
			if matched == 0 {
				c.warnf("%s CloudTrail: stopped after %d ReplicateImage events without one for %s (--max-events); older events were not read", p.loc, scanned, c.opts.Repository)
			}
			break
		}
	}
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	return nil
}

// writeEvents writes one lookup-events.json per pair, newest first, after
// removing the copies of an event already written for an earlier pair
// (same EventId, or same sharedEventID: one call delivered to two accounts).
func (c *capture) writeEvents() error {
	seenID, seenShared := map[string]bool{}, map[string]bool{}
	for _, p := range c.pairs {
		if !p.done {
			continue
		}
		events := p.events
		sort.SliceStable(events, func(i, j int) bool {
			return aws.ToTime(events[i].EventTime).After(aws.ToTime(events[j].EventTime))
		})
		out := cliLookupEvents{Events: []cliEvent{}}
		for _, e := range events {
			id, shared := aws.ToString(e.EventId), sharedEventID(e)
			if (id != "" && seenID[id]) || (shared != "" && seenShared[shared]) {
				continue
			}
			seenID[id] = true
			if shared != "" {
				seenShared[shared] = true
			}
			out.Events = append(out.Events, toCLIEvent(e))
			c.stats.EventsScanned++
			if eventNamesRepository(e, c.opts.Repository) {
				c.stats.EventsMatched++
			}
		}
		if err := c.write(p.loc, LookupEventsPrefix, out); err != nil {
			return err
		}
	}
	return nil
}

// cliLookupEvents is what `aws cloudtrail lookup-events` prints.
type cliLookupEvents struct {
	Events []cliEvent `json:"Events"`
}

type cliEvent struct {
	EventId         string            `json:"EventId,omitempty"`
	EventName       string            `json:"EventName,omitempty"`
	ReadOnly        string            `json:"ReadOnly,omitempty"`
	AccessKeyId     string            `json:"AccessKeyId,omitempty"`
	EventTime       *diagnose.CLITime `json:"EventTime,omitempty"`
	EventSource     string            `json:"EventSource,omitempty"`
	Username        string            `json:"Username,omitempty"`
	Resources       []cliResource     `json:"Resources"`
	CloudTrailEvent string            `json:"CloudTrailEvent,omitempty"`
}

type cliResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

func toCLIEvent(e cttypes.Event) cliEvent {
	out := cliEvent{
		EventId:         aws.ToString(e.EventId),
		EventName:       aws.ToString(e.EventName),
		ReadOnly:        aws.ToString(e.ReadOnly),
		AccessKeyId:     aws.ToString(e.AccessKeyId),
		EventSource:     aws.ToString(e.EventSource),
		Username:        aws.ToString(e.Username),
		Resources:       []cliResource{},
		CloudTrailEvent: aws.ToString(e.CloudTrailEvent),
	}
	if e.EventTime != nil {
		out.EventTime = &diagnose.CLITime{Time: *e.EventTime}
	}
	for _, r := range e.Resources {
		out.Resources = append(out.Resources, cliResource{ResourceType: aws.ToString(r.ResourceType), ResourceName: aws.ToString(r.ResourceName)})
	}
	return out
}

// record is the part of a CloudTrail record capture looks at.
type record struct {
	SharedEventID     string `json:"sharedEventID"`
	AWSRegion         string `json:"awsRegion"`
	RequestParameters struct {
		RegistryID     string `json:"registryId"`
		RepositoryName string `json:"repositoryName"`
	} `json:"requestParameters"`
	Resources []struct {
		ARN string `json:"ARN"`
	} `json:"resources"`
}

func parseRecord(e cttypes.Event) record {
	var r record
	_ = json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &r) // a record we cannot read names nothing
	return r
}

func sharedEventID(e cttypes.Event) string { return parseRecord(e).SharedEventID }

// eventDestination is the registry an event replicated to: the account and
// region of the repository ARN it names, else its registryId in its awsRegion.
func eventDestination(e cttypes.Event) (diagnose.Location, bool) {
	r := parseRecord(e)
	for _, res := range r.Resources {
		if loc, _, ok := awsid.ParseRepositoryARN(res.ARN); ok {
			return loc, true
		}
	}
	for _, res := range e.Resources {
		if loc, _, ok := awsid.ParseRepositoryARN(aws.ToString(res.ResourceName)); ok {
			return loc, true
		}
	}
	if awsid.IsAccountID(r.RequestParameters.RegistryID) && r.AWSRegion != "" {
		return diagnose.Location{Account: r.RequestParameters.RegistryID, Region: r.AWSRegion}, true
	}
	return diagnose.Location{}, false
}

// eventNamesRepository reports whether the event is about repo exactly (never
// by prefix: my-repo is not my-repo-2).
func eventNamesRepository(e cttypes.Event, repo string) bool {
	isRepo := func(s string) bool { return s == repo || strings.HasSuffix(s, ":repository/"+repo) }
	r := parseRecord(e)
	if isRepo(r.RequestParameters.RepositoryName) {
		return true
	}
	for _, res := range r.Resources {
		if isRepo(res.ARN) {
			return true
		}
	}
	for _, res := range e.Resources {
		if isRepo(aws.ToString(res.ResourceName)) {
			return true
		}
	}
	return false
}

// progress is a one-line status on a terminal, rewritten in place.
type progress struct {
	w io.Writer
	// width is the terminal's in columns (0: unknown). A status longer
	// than the screen wraps, and "\r" then goes back to the start of its
	// last row only: each redraw would leave a line behind.
	width int
	mu    sync.Mutex
	lines map[string]string
	order []string
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, width: terminalWidth(w), lines: map[string]string{}}
}

// terminalWidth is the width of the terminal w is, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return 0
	}
	width, _, err := term.GetSize(f.Fd())
	if err != nil {
		return 0
	}
	return width
}

// fit cuts line to less than width columns (the last column left free, so
// the cursor never wraps), ending it with "…" where something was cut.
func fit(line string, width int) string {
	if width < 2 || utf8.RuneCountInString(line) < width {
		return line
	}
	r := []rune(line)
	return string(r[:width-2]) + "…"
}

// set updates the status of one task and redraws the line with the latest.
func (p *progress) set(key, msg string) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.lines[key]; !ok {
		p.order = append(p.order, key)
	}
	p.lines[key] = msg
	fmt.Fprintf(p.w, "\r\x1b[K%s", fit("ecrdoctor: "+msg, p.width))
}

// clear erases the status line so the report starts on a clean line.
func (p *progress) clear() {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}
