package collect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// AthenaAPI is what the Athena reader needs, with the SDK v2 signatures.
// StopQueryExecution is the one call that changes anything: it cancels
// ecrdoctor's own query when the user interrupts or --timeout passes.
type AthenaAPI interface {
	StartQueryExecution(context.Context, *athena.StartQueryExecutionInput, ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(context.Context, *athena.GetQueryExecutionInput, ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	athena.GetQueryResultsAPIClient
	StopQueryExecution(context.Context, *athena.StopQueryExecutionInput, ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
}

// QueryOptions is a question for a query engine (Athena or CloudTrail Lake).
type QueryOptions struct {
	Trail trail.Options // the same filter and window as for files
	// Profile and Region choose the configuration ("" for the default
	// chain's); the engine runs in that region.
	Profile, Region string
	AWS             AWS
	// Log receives what a user of a paid engine wants to know: the query id,
	// the data scanned and its cost (stderr).
	Log io.Writer
	// Poll is the first wait between status checks (it doubles up to
	// pollMax); 0 means 500 ms.
	Poll time.Duration

	// Athena
	Table          string // DATABASE.TABLE, made by athena-ddl
	Workgroup      string
	OutputLocation string // s3://bucket/prefix/ for the results
	// PageSize is the rows of one GetQueryResults page; 0 means 1000.
	PageSize int32
	// Lake
	EventDataStore string // ARN or id
}

const (
	pollDefault = 500 * time.Millisecond
	pollMax     = 5 * time.Second
	// athenaPageSize is the most GetQueryResults returns at once.
	athenaPageSize = 1000
	// Athena's price in US East (N. Virginia): $5 per TB scanned, at least
	// 10 MB a query. Other regions differ: the figure is an estimate.
	athenaDollarsPerTB = 5.0
	athenaMinimumBytes = 10 << 20
	// stopTimeout bounds the cancellation call made after the context is done.
	stopTimeout = 10 * time.Second
)

var (
	workgroupRE = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,128}$`)
	s3URLRE     = regexp.MustCompile(`^s3://([^/]+)(/.*)?$`)
)

// ValidateOutputLocation checks an s3://bucket/prefix/ URL.
func ValidateOutputLocation(u string) error {
	m := s3URLRE.FindStringSubmatch(u)
	if m == nil {
		return fmt.Errorf("%q: give an S3 URL, s3://BUCKET/PREFIX/", u)
	}
	if err := ValidateBucket(m[1]); err != nil {
		return err
	}
	if _, err := cleanPrefix(m[2]); err != nil {
		return err
	}
	return nil
}

// ValidateWorkgroup checks an Athena workgroup name.
func ValidateWorkgroup(w string) error {
	if !workgroupRE.MatchString(w) {
		return fmt.Errorf("workgroup %q: letters, digits, . _ and - only, at most 128", w)
	}
	return nil
}

func (a AWS) athenaClient(cfg aws.Config) AthenaAPI {
	if a.Athena != nil {
		return a.Athena(cfg)
	}
	return athena.NewFromConfig(cfg)
}

// AthenaEvents runs the events question as one Athena query of the table
// athena-ddl makes, and decodes its rows as trail records. The query stops
// (StopQueryExecution) when ctx is done: an interrupt or --timeout.
func AthenaEvents(ctx context.Context, o QueryOptions) (*trail.Result, error) {
	q, err := AthenaQuery(o.Table, trailQuery(o.Trail))
	if err != nil {
		return nil, err
	}
	if o.Workgroup != "" {
		if err := ValidateWorkgroup(o.Workgroup); err != nil {
			return nil, err
		}
	}
	if o.OutputLocation != "" {
		if err := ValidateOutputLocation(o.OutputLocation); err != nil {
			return nil, fmt.Errorf("--output-location %v", err)
		}
	}
	sess := newSession(o.AWS)
	cfg, err := sess.loadConfig(ctx, o.Profile, strings.TrimSpace(profileFlag(o.Profile)), o.Region)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region for Athena: pass --aws-region, set AWS_REGION, or set region in the profile")
	}
	client := o.AWS.athenaClient(cfg)
	in := &athena.StartQueryExecutionInput{
		QueryString:         aws.String(q.SQL),
		ExecutionParameters: q.Params,
	}
	if o.Workgroup != "" {
		in.WorkGroup = aws.String(o.Workgroup)
	}
	if o.OutputLocation != "" {
		in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(o.OutputLocation)}
	}
	start, err := client.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("Athena StartQueryExecution: %w", athenaHint(describeErr(err)))
	}
	id := aws.ToString(start.QueryExecutionId)
	logf(o.Log, "Athena query %s started in %s", id, cfg.Region)
	exec, err := waitAthena(ctx, client, id, o.Poll)
	if err != nil {
		if ctx.Err() != nil {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
			defer cancel()
			if _, serr := client.StopQueryExecution(stopCtx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); serr != nil {
				logf(o.Log, "Athena query %s: could not stop it: %v", id, describeErr(serr))
			} else {
				logf(o.Log, "Athena query %s stopped", id)
			}
		}
		return nil, err
	}
	if st := exec.Statistics; st != nil && st.DataScannedInBytes != nil {
		logf(o.Log, "Athena query %s: %s scanned, about %s (US East price, 10 MB minimum)", id, byteSize(*st.DataScannedInBytes), athenaCost(*st.DataScannedInBytes))
	}
	rows := newRowEvents("athena:"+id, o.Trail)
	pages := athena.NewGetQueryResultsPaginator(client, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(cmp.Or(o.PageSize, athenaPageSize))})
	var cols []string
	first := true
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			// The rows read so far are not the answer: a partial read is
			// never a clean "nothing found".
			return nil, fmt.Errorf("Athena GetQueryResults %s after %d rows: %w", id, rows.res.Scanned.Records, describeErr(err))
		}
		if page.ResultSet == nil {
			continue
		}
		if cols == nil && page.ResultSet.ResultSetMetadata != nil {
			for _, c := range page.ResultSet.ResultSetMetadata.ColumnInfo {
				cols = append(cols, strings.ToLower(aws.ToString(c.Name)))
			}
		}
		for _, r := range page.ResultSet.Rows {
			vals := make([]string, len(r.Data))
			for i, d := range r.Data {
				vals[i] = aws.ToString(d.VarCharValue)
			}
			// A SELECT's first row is its header.
			if first {
				first = false
				if strings.Join(lower(vals), ",") == strings.Join(cols, ",") {
					continue
				}
			}
			row := make(map[string]string, len(cols))
			for i, c := range cols {
				if i < len(vals) {
					row[c] = vals[i]
				}
			}
			rows.add(row)
		}
	}
	return rows.result(), nil
}

func lower(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	return out
}

// waitAthena polls the query until it ends, waiting longer each time.
func waitAthena(ctx context.Context, client AthenaAPI, id string, poll time.Duration) (*athenatypes.QueryExecution, error) {
	if poll <= 0 {
		poll = pollDefault
	}
	for {
		out, err := client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("Athena query %s: %w", id, ctx.Err())
			}
			return nil, fmt.Errorf("Athena GetQueryExecution %s: %w", id, describeErr(err))
		}
		exec := out.QueryExecution
		if exec != nil && exec.Status != nil {
			switch exec.Status.State {
			case athenatypes.QueryExecutionStateSucceeded:
				return exec, nil
			case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
				reason := aws.ToString(exec.Status.StateChangeReason)
				return nil, athenaHint(fmt.Errorf("Athena query %s %s: %s", id, strings.ToLower(string(exec.Status.State)), reason))
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("Athena query %s: %w", id, ctx.Err())
		case <-time.After(poll):
		}
		poll = min(2*poll, pollMax)
	}
}

// athenaHint adds what to do to the Athena errors users meet first.
func athenaHint(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "injected"):
		return fmt.Errorf("%w (the table's account or region partition is injected: give --account and --region)", err)
	case strings.Contains(msg, "WorkGroup"), strings.Contains(msg, "workgroup"):
		return fmt.Errorf("%w (check --workgroup: it must exist in --aws-region)", err)
	case strings.Contains(msg, "COLUMN_NOT_FOUND"), strings.Contains(msg, "TABLE_NOT_FOUND"), strings.Contains(msg, "does not exist"):
		return fmt.Errorf("%w (ecrdoctor queries the table 'ecrdoctor athena-ddl' prints: partitions account, region, timestamp)", err)
	case strings.Contains(msg, "output location"), strings.Contains(msg, "OutputLocation"):
		return fmt.Errorf("%w (give --output-location s3://BUCKET/PREFIX/ or a --workgroup that has one)", err)
	}
	return err
}

// athenaCost estimates the price of a query that scanned n bytes.
func athenaCost(n int64) string {
	billed := max(n, athenaMinimumBytes)
	return fmt.Sprintf("$%.4f", float64(billed)/1e12*athenaDollarsPerTB)
}

// byteSize writes n bytes for people: 1.2 GB.
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

func logf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, "ecrdoctor: "+format+"\n", a...)
	}
}

// trailQuery is the engines' question from a Read's options.
func trailQuery(o trail.Options) TrailQuery {
	return TrailQuery{Repositories: o.Repos(), Accounts: o.Accounts, Regions: o.Regions, Since: o.Since, Until: o.Until, Filter: o.Filter, DeliveryMargin: o.DeliveryMargin}
}

// describeErr is describe's one line as an error, for the engines' and S3's
// messages.
func describeErr(err error) error { return errors.New(describe(err)) }
