package collect

import (
	"cmp"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// This file builds the SQL ecrdoctor sends to Athena and CloudTrail Lake
// and the Athena table it expects. Nothing here talks to AWS: the text is
// tested as goldens. Every value that comes from the user is validated
// first and then written as a literal by sqlString, the one quoting
// function; Athena receives those literals as execution parameters, never
// inside the query text.

// TrailQuery is the events question asked of a query engine.
type TrailQuery struct {
	Repositories      []string // repository names or ARNs; none for every one
	Accounts, Regions []string
	Since, Until      time.Time // zero: unbounded
	Filter            trail.Filter
	// DeliveryMargin is how long after Until a file may be delivered and
	// hold events before it (0: trail.DefaultDeliveryMargin); the day
	// partitions read end with it.
	DeliveryMargin time.Duration
}

// Query is the SQL of one question and the values bound to its ?
// placeholders, in order, each already a SQL literal (Athena's
// ExecutionParameters take literals: 'text').
type Query struct {
	SQL    string
	Params []string
}

// athenaTableDefault is the table athena-ddl creates unless told otherwise.
const athenaTableDefault = "cloudtrail_logs_org"

var (
	// Athena database and table names: lower-case letters, digits and
	// underscores (Athena DDL reference, "Names for tables, databases and
	// columns").
	athenaNameRE = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
	orgIDRE      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	// A CloudTrail Lake event data store: its ARN or the id part of it.
	edsIDRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,127}$`)
	edsARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:eventdatastore/([A-Za-z0-9][A-Za-z0-9-]{0,127})$`)
	// Key prefixes ecrdoctor puts into a DDL: a conservative subset of the
	// characters S3 documents as safe.
	prefixSegmentRE = regexp.MustCompile(`^[A-Za-z0-9!_.*()-]+$`)
)

// sqlString is the one function that writes a value as a SQL string
// literal: quotes doubled, and values that could not have been validated as
// text (control characters) refused by the callers' validation first.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// sqlIdent quotes an identifier already checked against athenaNameRE.
func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ValidateBucket checks an S3 bucket name against the general purpose
// bucket naming rules (Amazon S3 User Guide, "Bucket naming rules").
func ValidateBucket(b string) error {
	switch {
	case len(b) < 3 || len(b) > 63:
		return fmt.Errorf("bucket %q: must be 3 to 63 characters long", b)
	case strings.Contains(b, ".."):
		return fmt.Errorf("bucket %q: must not have two periods in a row", b)
	case net.ParseIP(b) != nil:
		return fmt.Errorf("bucket %q: must not be formatted as an IP address", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return fmt.Errorf("bucket %q: only lower-case letters, digits, periods and hyphens are allowed, not %q", b, string(c))
		}
	}
	if first, last := b[0], b[len(b)-1]; !isLowerAlnum(first) || !isLowerAlnum(last) {
		return fmt.Errorf("bucket %q: must begin and end with a letter or digit", b)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return fmt.Errorf("bucket %q: the prefix %s is reserved", b, p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return fmt.Errorf("bucket %q: the suffix %s is reserved", b, s)
		}
	}
	return nil
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// cleanPrefix validates a trail's S3 key prefix and returns it without
// leading or trailing slashes.
func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || !prefixSegmentRE.MatchString(seg) {
			return "", fmt.Errorf("prefix %q: each part between slashes must be letters, digits or !_.*()- (and not . or ..), not %q", p, seg)
		}
	}
	return p, nil
}

// ValidateOrgID checks an AWS Organizations id (o-exampleorgid).
func ValidateOrgID(id string) error {
	if !orgIDRE.MatchString(id) {
		return fmt.Errorf("organization id %q: must be o- and 10 to 32 lower-case letters or digits", id)
	}
	return nil
}

// ValidateRegion checks the shape of a region name (us-east-1, us-gov-west-1).
func ValidateRegion(r string) error {
	if !awsid.IsRegion(r) {
		return fmt.Errorf("region %q: not a region name such as us-east-1", r)
	}
	return nil
}

// ValidateAccount checks a 12-digit account id.
func ValidateAccount(a string) error {
	if !awsid.IsAccountID(a) {
		return fmt.Errorf("account %q: must be a 12-digit account id", a)
	}
	return nil
}

// splitTable reads DB.TABLE.
func splitTable(s string) (db, table string, err error) {
	db, table, ok := strings.Cut(s, ".")
	if !ok || !athenaNameRE.MatchString(db) || !athenaNameRE.MatchString(table) {
		return "", "", fmt.Errorf("table %q: give DATABASE.TABLE, each lower-case letters, digits or underscores", s)
	}
	return db, table, nil
}

// LakeStoreID returns the id of an event data store given as its ARN or id.
func LakeStoreID(s string) (string, error) {
	if m := edsARNRE.FindStringSubmatch(s); m != nil {
		return m[1], nil
	}
	if edsIDRE.MatchString(s) && !strings.HasPrefix(s, "arn") {
		return s, nil
	}
	return "", fmt.Errorf("event data store %q: give its ARN (arn:aws:cloudtrail:REGION:ACCOUNT:eventdatastore/ID) or its ID", s)
}

// repositoryName validates the --repo value and returns the bare name.
func repositoryName(repo string) (string, error) {
	name := repo
	if strings.HasPrefix(repo, "arn:") {
		parts := strings.SplitN(repo, ":", 6)
		rest, ok := "", false
		if len(parts) == 6 && parts[2] == "ecr" && awsid.IsRegion(parts[3]) && awsid.IsAccountID(parts[4]) {
			rest, ok = strings.CutPrefix(parts[5], "repository/")
		}
		if !ok {
			return "", fmt.Errorf("repository %q: not an ECR repository ARN (arn:aws:ecr:REGION:ACCOUNT:repository/NAME)", repo)
		}
		name = rest
	}
	if !awsid.IsRepositoryName(name) {
		return "", fmt.Errorf("repository %q: not an ECR repository name (lower-case letters, digits, and . _ - / between them)", repo)
	}
	return name, nil
}

// validate checks every value of the question before it goes into SQL,
// and returns the bare repository names.
func (q TrailQuery) validate() (repos []string, err error) {
	for _, r := range q.Repositories {
		name, err := repositoryName(r)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(repos, name) {
			repos = append(repos, name)
		}
	}
	for _, a := range q.Accounts {
		if err := ValidateAccount(a); err != nil {
			return nil, err
		}
	}
	for _, r := range q.Regions {
		if err := ValidateRegion(r); err != nil {
			return nil, err
		}
	}
	return repos, nil
}

// dialect is what differs between Athena's CloudTrail table and a
// CloudTrail Lake event data store.
type dialect struct {
	from string
	// bind writes a value: a ? and a parameter for Athena, the literal
	// itself for Lake.
	bind func(literal string) string
	// cols are the select list, each ending "AS name": the names are what
	// recordFromRow reads, the same for both engines.
	cols                 []string
	eventTime, requestRN string // expressions
	account, region      string // where account and region are pruned
	eventTimeFormat      string
	// datePartition is the Athena table's day partition, "" for Lake.
	datePartition string
	eventSource   string
	eventName     string
	errorCode     string
	errorMessage  string
	resourceARNs  string
}

// rowColumns are the names recordFromRow reads, in select order.
var rowColumns = []string{
	"eventid", "sharedeventid", "eventtime", "eventsource", "eventname", "awsregion",
	"recipientaccountid", "errorcode", "errormessage",
	"useridentitytype", "useridentityarn", "useridentityaccountid", "useridentityinvokedby",
	"useridentityprincipalid", "sessionissuerarn", "resourcearns", "repositoryname", "registryid",
}

// QueryColumns are the columns the Athena and Lake queries select, in
// order (for tests and stand-ins that answer them).
func QueryColumns() []string { return append([]string(nil), rowColumns...) }

// AthenaQuery is the query for the table athena-ddl prints (partitions
// account, region and timestamp), with its parameters.
func AthenaQuery(table string, q TrailQuery) (Query, error) {
	db, tbl, err := splitTable(table)
	if err != nil {
		return Query{}, err
	}
	var params []string
	d := dialect{
		from:            sqlIdent(db) + "." + sqlIdent(tbl),
		bind:            func(lit string) string { params = append(params, lit); return "?" },
		account:         "account",
		region:          "region",
		eventTime:       "eventtime",
		eventTimeFormat: "2006-01-02T15:04:05Z",
		datePartition:   `"timestamp"`,
		eventSource:     "eventsource",
		eventName:       "eventname",
		errorCode:       "errorcode",
		errorMessage:    "errormessage",
		requestRN:       "json_extract_scalar(requestparameters, '$.repositoryName')",
		resourceARNs:    "array_join(transform(resources, r -> r.arn), ' ')",
	}
	d.cols = []string{
		"eventid", "sharedeventid", "eventtime", "eventsource", "eventname", "awsregion",
		"recipientaccountid", "errorcode", "errormessage",
		"useridentity.type AS useridentitytype",
		"useridentity.arn AS useridentityarn",
		"useridentity.accountid AS useridentityaccountid",
		"useridentity.invokedby AS useridentityinvokedby",
		"useridentity.principalid AS useridentityprincipalid",
		"useridentity.sessioncontext.sessionissuer.arn AS sessionissuerarn",
		d.resourceARNs + " AS resourcearns",
		d.requestRN + " AS repositoryname",
		"json_extract_scalar(requestparameters, '$.registryId') AS registryid",
	}
	sql, err := d.build(q)
	return Query{SQL: sql, Params: params}, err
}

// LakeQuery is the same question for a CloudTrail Lake event data store.
// StartQuery binds no parameters to a QueryStatement (its QueryParameters
// are for a QueryAlias, the Lake dashboards' saved queries), so values are
// validated and written as literals by sqlString.
func LakeQuery(store string, q TrailQuery) (Query, error) {
	id, err := LakeStoreID(store)
	if err != nil {
		return Query{}, err
	}
	d := dialect{
		from:            id,
		bind:            func(lit string) string { return lit },
		account:         "recipientAccountId",
		region:          "awsRegion",
		eventTime:       "eventTime",
		eventTimeFormat: "2006-01-02 15:04:05",
		eventSource:     "eventSource",
		eventName:       "eventName",
		errorCode:       "errorCode",
		errorMessage:    "errorMessage",
		requestRN:       "element_at(requestParameters, 'repositoryName')",
		resourceARNs:    "array_join(transform(resources, r -> r.arn), ' ')",
	}
	d.cols = []string{
		"eventID AS eventid", "sharedEventID AS sharedeventid", "eventTime AS eventtime",
		"eventSource AS eventsource", "eventName AS eventname", "awsRegion AS awsregion",
		"recipientAccountId AS recipientaccountid", "errorCode AS errorcode", "errorMessage AS errormessage",
		"userIdentity.type AS useridentitytype",
		"userIdentity.arn AS useridentityarn",
		"userIdentity.accountid AS useridentityaccountid",
		"userIdentity.invokedby AS useridentityinvokedby",
		"userIdentity.principalid AS useridentityprincipalid",
		"userIdentity.sessioncontext.sessionissuer.arn AS sessionissuerarn",
		d.resourceARNs + " AS resourcearns",
		d.requestRN + " AS repositoryname",
		"element_at(requestParameters, 'registryId') AS registryid",
	}
	sql, err := d.build(q)
	return Query{SQL: sql, Params: nil}, err
}

func (d dialect) in(col string, values []string) string {
	lits := make([]string, len(values))
	for i, v := range values {
		lits[i] = d.bind(sqlString(v))
	}
	return col + " IN (" + strings.Join(lits, ", ") + ")"
}

// build writes the query. The partition predicates come first: Athena
// prunes on account, region and timestamp before it reads an object.
func (d dialect) build(q TrailQuery) (string, error) {
	repos, err := q.validate()
	if err != nil {
		return "", err
	}
	var where []string
	if len(q.Accounts) > 0 {
		where = append(where, d.in(d.account, q.Accounts))
	}
	if len(q.Regions) > 0 {
		where = append(where, d.in(d.region, q.Regions))
	}
	if d.datePartition != "" {
		// Day folders are delivery days: a file delivered within the margin
		// after --until may still hold events before it, as trail.Read
		// prunes local folders.
		const day = "2006/01/02"
		if !q.Since.IsZero() {
			where = append(where, d.datePartition+" >= "+d.bind(sqlString(q.Since.UTC().Format(day))))
		}
		if !q.Until.IsZero() {
			margin := cmp.Or(q.DeliveryMargin, trail.DefaultDeliveryMargin)
			where = append(where, d.datePartition+" <= "+d.bind(sqlString(q.Until.UTC().Add(margin).Format(day))))
		}
	}
	if !q.Since.IsZero() {
		where = append(where, d.eventTime+" >= "+d.bind(sqlString(q.Since.UTC().Format(d.eventTimeFormat))))
	}
	if !q.Until.IsZero() {
		where = append(where, d.eventTime+" < "+d.bind(sqlString(q.Until.UTC().Format(d.eventTimeFormat))))
	}
	if q.Filter != trail.FilterAny {
		where = append(where,
			d.eventSource+" = 'ecr.amazonaws.com'",
			d.eventName+" IN ('ReplicateImage', 'CreateRepository')")
	}
	if q.Filter != trail.FilterAll {
		// trail's test for an authorization failure, in SQL; the decoder
		// applies it again exactly.
		where = append(where, "("+d.errorCode+" LIKE 'AccessDenied%'"+
			" OR "+d.errorCode+" IN ('Client.UnauthorizedOperation', 'UnauthorizedOperation')"+
			" OR ("+d.errorCode+" IS NOT NULL AND strpos("+d.errorMessage+", 'not authorized to perform') > 0))")
	}
	if len(repos) > 0 {
		// A superset: the name in the request, or the repository ARN in the
		// resources or the denial message. The decoder keeps the exact ones.
		var byName string
		if len(repos) == 1 {
			byName = d.requestRN + " = " + d.bind(sqlString(repos[0]))
		} else {
			byName = d.in(d.requestRN, repos)
		}
		or := []string{byName}
		for _, repo := range repos {
			arnTail := d.bind(sqlString(":repository/" + repo))
			or = append(or, "strpos("+d.resourceARNs+", "+arnTail+") > 0",
				"strpos("+d.errorMessage+", "+d.bind(sqlString(":repository/"+repo))+") > 0")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	var b strings.Builder
	b.WriteString("SELECT\n  ")
	b.WriteString(strings.Join(d.cols, ",\n  "))
	b.WriteString("\nFROM " + d.from)
	if len(where) > 0 {
		b.WriteString("\nWHERE " + strings.Join(where, "\n  AND "))
	}
	b.WriteString("\nORDER BY " + d.eventTime + " DESC")
	return b.String(), nil
}

// DDLOptions describe the trail whose Athena table athena-ddl prints.
type DDLOptions struct {
	Table          string // TABLE or DATABASE.TABLE; athenaTableDefault when ""
	Bucket, Prefix string
	OrganizationID string   // "" for a trail of one account
	Accounts       []string // enumerated; none: the account partition is injected
	Regions        []string // enumerated; none: the region partition is injected
	Start          time.Time
}

// AthenaDDL returns the CREATE TABLE statement of AWS's documented
// CloudTrail table with partition projection ("Create the table for
// CloudTrail logs in Athena using partition projection"), widened from one
// account and region to the accounts and regions of an organization trail.
//
// notes say what the user must know to query the table (injected
// partitions); they are not part of the statement.
func AthenaDDL(o DDLOptions) (ddl string, notes []string, err error) {
	if err := ValidateBucket(o.Bucket); err != nil {
		return "", nil, err
	}
	prefix, err := cleanPrefix(o.Prefix)
	if err != nil {
		return "", nil, err
	}
	name := o.Table
	if name == "" {
		name = athenaTableDefault
	}
	var table string
	if db, tbl, ok := strings.Cut(name, "."); ok {
		if _, _, err := splitTable(name); err != nil {
			return "", nil, err
		}
		table = "`" + db + "`.`" + tbl + "`" // DDL is Hive: backquotes
	} else {
		if !athenaNameRE.MatchString(name) {
			return "", nil, fmt.Errorf("table %q: lower-case letters, digits or underscores only", name)
		}
		table = "`" + name + "`"
	}
	if o.OrganizationID != "" {
		if err := ValidateOrgID(o.OrganizationID); err != nil {
			return "", nil, err
		}
	}
	for _, a := range o.Accounts {
		if err := ValidateAccount(a); err != nil {
			return "", nil, err
		}
	}
	for _, r := range o.Regions {
		if err := ValidateRegion(r); err != nil {
			return "", nil, err
		}
	}
	start := o.Start
	if start.IsZero() {
		start = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	root := "s3://" + o.Bucket + "/"
	if prefix != "" {
		root += prefix + "/"
	}
	root += "AWSLogs/"
	if o.OrganizationID != "" {
		root += o.OrganizationID + "/"
	}
	props := [][2]string{{"projection.enabled", "true"}}
	if len(o.Accounts) > 0 {
		props = append(props, [2]string{"projection.account.type", "enum"}, [2]string{"projection.account.values", strings.Join(o.Accounts, ",")})
	} else {
		props = append(props, [2]string{"projection.account.type", "injected"})
	}
	if len(o.Regions) > 0 {
		props = append(props, [2]string{"projection.region.type", "enum"}, [2]string{"projection.region.values", strings.Join(o.Regions, ",")})
	} else {
		props = append(props, [2]string{"projection.region.type", "injected"})
	}
	props = append(props,
		[2]string{"projection.timestamp.type", "date"},
		[2]string{"projection.timestamp.format", "yyyy/MM/dd"},
		[2]string{"projection.timestamp.interval", "1"},
		[2]string{"projection.timestamp.interval.unit", "DAYS"},
		[2]string{"projection.timestamp.range", start.UTC().Format("2006/01/02") + ",NOW"},
		[2]string{"storage.location.template", root + "${account}/CloudTrail/${region}/${timestamp}"},
	)
	if len(o.Accounts) == 0 {
		notes = append(notes, "the account partition is injected (no --accounts): every query of this table must name its accounts (ecrdoctor events --account)")
	}
	if len(o.Regions) == 0 {
		notes = append(notes, "the region partition is injected (no --regions): every query of this table must name its regions (ecrdoctor events --region)")
	}
	var b strings.Builder
	b.WriteString("CREATE EXTERNAL TABLE " + table + " (\n")
	b.WriteString(ddlColumns)
	b.WriteString(")\nPARTITIONED BY (\n  `account` string,\n  `region` string,\n  `timestamp` string)\n")
	b.WriteString("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n")
	b.WriteString("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	b.WriteString("LOCATION " + sqlString(root) + "\nTBLPROPERTIES (\n")
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ")"
		}
		b.WriteString("  " + sqlString(p[0]) + "=" + sqlString(p[1]) + sep + "\n")
	}
	return b.String(), notes, nil
}

// ddlColumns are the documented table's columns.
const ddlColumns = `  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    onbehalfof: STRUCT<
      userid: STRING,
      identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<
        mfaauthenticated: STRING,
        creationdate: STRING>,
      sessionissuer: STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<
        federatedprovider: STRING,
        attributes: MAP<STRING,STRING>>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<
    arn: STRING,
    accountid: STRING,
    type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  addendum STRUCT<
    reason: STRING,
    updatedfields: STRING,
    originalrequestid: STRING,
    originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<
    tlsversion: STRING,
    ciphersuite: STRING,
    clientprovidedhostheader: STRING>
`
