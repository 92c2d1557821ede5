package trail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

const (
	// chunkSize is how much decompressed text is searched at a time (the
	// buffer holds two): small enough that searching it does not push the
	// decompressor's window and tables out of the CPU caches. 128 kB measured
	// best of 64, 128, 256 and 512 kB.
	chunkSize = 128 << 10
	// maxRecord bounds one record (CloudTrail's are a few kilobytes; the
	// bound only protects memory from a file that is not a trail file).
	maxRecord = 16 << 20
	// maxRecordWarnings is how many bad records of one file are named before
	// the rest are only counted.
	maxRecordWarnings = 3
)

var (
	// recordStart begins every record of a trail log file as CloudTrail
	// writes it. An unescaped quote cannot occur inside a JSON string, so this
	// text only ever appears as an object whose first key is eventVersion.
	recordStart = []byte(`{"eventVersion":`)
	recordsOpen = []byte(`{"Records":[`)
)

// scanner reads files for one worker; its buffers and decompressor are
// reused from file to file.
type scanner struct {
	opts Options
	// A record is decoded only if it contains one of needles and one of
	// each group in also. Needles are searched across whole chunks, so there
	// is one of them (one pass) for the common filters; also is only tested
	// on the few records around a needle. None has quotes, so they match
	// records that are still JSON strings (LookupEvents) too.
	needles [][]byte
	also    []group
	finders []finder // one per needle
	start   finder   // finds recordStart
	tuned   bool
	hits    []int // scratch for region
	buf     []byte
	br      *bufio.Reader
	gz      *gzip.Reader
	sink    *sink // a Stream's: events go there, not into fileResult
	// file is the source of the file being read; its events are its
	// records (file.At).
	file awsid.Source
}

// found keeps an event the filter kept.
func (s *scanner) found(fr *fileResult, e Event) {
	if s.sink != nil {
		s.sink.add(e)
		return
	}
	fr.events = append(fr.events, e)
}

func newScanner(opts Options) *scanner {
	s := &scanner{opts: opts, buf: make([]byte, 0, 2*chunkSize)}
	names := [][]byte{[]byte("ReplicateImage"), []byte("CreateRepository")}
	switch opts.Filter {
	case FilterAny:
		s.needles = [][]byte{[]byte("errorCode")}
		s.also = []group{newGroup(group{terms: [][]byte{[]byte("AccessDenied"), []byte("UnauthorizedOperation"), []byte("not authorized")}})}
	case FilterAll:
		// A successful call's copy in the destination account may not name
		// the role: look for the event names.
		s.needles = names
	default:
		// A denial names the role in its message ("User: arn:...:assumed-
		// role/AWSServiceRoleForECRReplication/..."), whichever account's
		// copy it is; the role name has rarer letters than the event names
		// or AccessDenied, so its pass has fewer false starts.
		s.needles = [][]byte{[]byte(replicationRole)}
		s.also = []group{
			newGroup(group{terms: [][]byte{[]byte("AccessDenied"), []byte("not authorized")}}),
			// Not CreateRepositoryCreationTemplate.
			newGroup(group{terms: names, whole: isAlnum, quoted: true}),
		}
	}
	if repos := opts.Repos(); len(repos) > 0 {
		// Every place the repository is read from holds its name verbatim.
		// Not my-repo-legacy nor my-repo2 (team/my-repo is left to the
		// decoded record: a '/' also comes before a name in an ARN).
		g := group{whole: isNameByte, alone: true}
		for _, r := range repos {
			if i := strings.LastIndex(r, ":repository/"); i >= 0 {
				r = r[i+len(":repository/"):]
			}
			g.terms = append(g.terms, []byte(r))
		}
		s.also = append(s.also, newGroup(g))
	}
	for _, n := range s.needles {
		s.finders = append(s.finders, newFinder(string(n)))
	}
	s.start = newFinder(string(recordStart))
	return s
}

// tune fits the finders to the first text this scanner reads.
func (s *scanner) tune(sample []byte) {
	if s.tuned || len(sample) < 64<<10 {
		return
	}
	s.tuned = true
	counts := byteCounts(sample[:min(len(sample), 256<<10)])
	for i := range s.finders {
		s.finders[i].tune(counts)
	}
	s.start.tune(counts)
	for _, g := range s.also {
		for i := range g.finders {
			g.finders[i].tune(counts)
		}
	}
}

// fileResult is what one file gave.
type fileResult struct {
	events     []Event
	records    int
	warnings   []string
	badRecords int
	err        error // the first problem, for --strict
	notTrail   bool  // a JSON file found in a folder that is no CloudTrail file: skipped
	fileFailed bool  // the file as a whole had a problem (warnFile)
	// incomplete says the file could not be read to its end (damaged gzip,
	// truncated, invalid JSON, a record over the cap): what was decoded
	// before the damage is kept, but the file does not count as scanned.
	incomplete bool
	name       string // the file, as the warnings name it
}

func (fr *fileResult) warnRecord(name string, index int, err error) {
	fr.badRecords++
	if fr.err == nil {
		fr.err = fmt.Errorf("%s: record %d: %w", name, index, err)
	}
	if fr.badRecords <= maxRecordWarnings {
		fr.warnings = append(fr.warnings, fmt.Sprintf("%s: record %d: %v", name, index, err))
	}
}

func (fr *fileResult) warnFile(name string, err error) {
	fr.fileFailed = true
	fr.name = name
	if !errors.Is(err, errWrongShape) && !errors.Is(err, errNotTrail) && !errors.Is(err, errEmpty) {
		fr.incomplete = true
	}
	if fr.err == nil {
		fr.err = fmt.Errorf("%s: %w", name, err)
	}
	fr.warnings = append(fr.warnings, fmt.Sprintf("%s: %v", name, err))
}

func (fr *fileResult) finish(name string) {
	if n := fr.badRecords - maxRecordWarnings; n > 0 {
		fr.warnings = append(fr.warnings, fmt.Sprintf("%s: %d more bad records", name, n))
	}
}

// hasNeedle reports whether a record's text is worth decoding.
func (s *scanner) hasNeedle(rec []byte) bool {
	return containsAny(rec, s.needles) && s.hasAlso(rec)
}

func (s *scanner) hasAlso(rec []byte) bool {
	for _, g := range s.also {
		if !g.in(rec) {
			return false
		}
	}
	return true
}

// group is a set of terms one of which a record must contain to be decoded.
// With whole set, an occurrence counts only if the byte after it is not one
// whole accepts, and, with alone, the byte before it neither: the term is an
// identifier on its own, not the start or the end of a longer one. Every
// place a record holds an event name or a repository name ends it with a
// quote, a backslash (LookupEvents' escaped JSON) or a space. A '/' before a
// repository name counts only after "repository/", as in its ARN: the name
// of team/my-repo is not my-repo. With quoted, the byte before must be a
// quote: an event name is a whole JSON string ("ReplicateImage", or
// \"ReplicateImage\" escaped), where a policy or a message naming the
// action has "ecr:ReplicateImage".
type group struct {
	terms  [][]byte
	whole  func(byte) bool
	alone  bool
	quoted bool
	// finders search for the terms by their rare bytes, as the needles
	// are: bytes.Index stops at every 'A' of "AccessDenied" and every 'n'
	// of "not authorized", and most records tested hold neither.
	finders []finder
}

func newGroup(g group) group {
	for _, t := range g.terms {
		g.finders = append(g.finders, newFinder(string(t)))
	}
	return g
}

func (g group) in(b []byte) bool {
	for k, t := range g.terms {
		index := func(b []byte) int { return bytes.Index(b, t) }
		if k < len(g.finders) {
			index = g.finders[k].index
		}
		for off := 0; ; {
			i := index(b[off:])
			if i < 0 {
				break
			}
			i += off
			if g.whole == nil {
				return true
			}
			end := i + len(t)
			if (end == len(b) || !g.whole(b[end])) && g.starts(b, i) {
				return true
			}
			off = i + 1
		}
	}
	return false
}

// starts reports whether b[i] can begin a term on its own.
func (g group) starts(b []byte, i int) bool {
	switch {
	case g.quoted:
		return i > 0 && b[i-1] == '"'
	case !g.alone || i == 0 || !g.whole(b[i-1]):
		return true
	case b[i-1] == '/':
		return bytes.HasSuffix(b[:i], []byte("repository/")) || bytes.HasSuffix(b[:i], []byte(`repository\/`))
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isNameByte reports whether c can be part of a repository name (ECR's are
// lower-case; upper case is taken too, to be safe).
func isNameByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '-' || c == '/'
}

func containsAny(b []byte, subs [][]byte) bool {
	for _, sub := range subs {
		if bytes.Contains(b, sub) {
			return true
		}
	}
	return false
}

// source returns r decompressed if it is gzip, reusing the scanner's readers.
func (s *scanner) source(r io.Reader) (io.Reader, error) {
	if s.br == nil {
		s.br = bufio.NewReaderSize(r, 64<<10)
	} else {
		s.br.Reset(r)
	}
	magic, _ := s.br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return s.br, nil
	}
	if s.gz == nil {
		gz, err := gzip.NewReader(s.br)
		if err != nil {
			return nil, err
		}
		s.gz = gz
	} else if err := s.gz.Reset(s.br); err != nil {
		return nil, err
	}
	return s.gz, nil
}

// scanFile reads one file or stream of any supported shape, gzipped or
// not: file names it in events and warnings.
func (s *scanner) scanFile(file awsid.Source, r io.Reader) fileResult {
	s.file = file
	name := file.String()
	var fr fileResult
	src, err := s.source(r)
	if err != nil {
		fr.warnFile(name, fmt.Errorf("reading gzip: %w", err))
		return fr
	}
	s.scan(name, src, &fr)
	fr.finish(name)
	if cap(s.buf) > 2*chunkSize {
		// A huge record grew the buffer: do not keep it for every file.
		s.buf = make([]byte, 0, 2*chunkSize)
	}
	return fr
}

// fill reads into buf's free capacity until it is full or the reader ends.
func fill(buf []byte, r io.Reader) ([]byte, error) {
	for len(buf) < cap(buf) {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func (s *scanner) scan(name string, src io.Reader, fr *fileResult) {
	data, err := fill(s.buf[:0], src)
	s.buf = data[:0]
	head := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if rest, ok := bytes.CutPrefix(head, recordsOpen); ok {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if bytes.HasPrefix(rest, recordStart) {
			// Slice rather than copy: a megabyte moved per file would cost
			// a few percent of decompressing it.
			s.tune(rest)
			s.fast(name, rest, err, src, fr)
			return
		}
	}
	if err != nil && err != io.EOF {
		fr.warnFile(name, readError(err))
		return
	}
	// Any other shape: stream it through the JSON decoder, which is slower
	// but takes every layout (pretty-printed, LookupEvents, JSON lines).
	s.generic(name, io.MultiReader(bytes.NewReader(data), src), fr)
}

func readError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated: the file ends in the middle of its compressed data")
	}
	return fmt.Errorf("reading: %w", err)
}

// fast reads a trail log file as CloudTrail writes it: one line of
// {"Records":[{"eventVersion":...},...]}. It searches each chunk for the
// needles and decodes only the records around them; records are told apart
// by recordStart. data starts at the first record.
func (s *scanner) fast(name string, data []byte, rerr error, src io.Reader, fr *fileResult) {
	index := 0 // records before data[0]
	for {
		if rerr != nil {
			if rerr != io.EOF {
				// Keep what was complete before the damage.
				if last := bytes.LastIndex(data, recordStart); last > 0 {
					index = s.region(name, data[:last], index, fr)
				}
				fr.warnFile(name, readError(rerr))
				return
			}
			s.final(name, data, index, fr)
			return
		}
		// The records before the last start are whole: handle them and
		// keep the last, which may go on in the next chunk.
		if last := bytes.LastIndex(data, recordStart); last > 0 {
			index = s.region(name, data[:last], index, fr)
			n := copy(data, data[last:])
			data = data[:n]
		} else if len(data) == cap(data) {
			// One record fills the buffer. If it has ended, what follows
			// it is the space between records or the close of the array:
			// squeeze its whitespace runs rather than hold them.
			if e := valueEnd(data); e > 0 {
				var sq squeezer
				data = data[:e+sq.squeeze(data[e:])]
			}
			// Grow unless that freed a good part of the buffer, so that
			// each pass over it reads as much again.
			if len(data) <= cap(data)-cap(data)/4 {
				data, rerr = fill(data, src)
				continue
			}
			if cap(data) >= maxRecord {
				fr.warnFile(name, errTooLarge)
				return
			}
			bigger := make([]byte, len(data), min(2*cap(data), maxRecord))
			copy(bigger, data)
			data = bigger
			s.buf = bigger[:0]
		}
		data, rerr = fill(data, src)
	}
}

// final handles the last records of a file, which must close the array.
func (s *scanner) final(name string, data []byte, index int, fr *fileResult) {
	end := bytes.TrimRight(data, " \t\r\n")
	end, ok := bytes.CutSuffix(end, []byte("}"))
	body, ok2 := bytes.CutSuffix(bytes.TrimRight(end, " \t\r\n"), []byte("]"))
	if !ok || !ok2 {
		if last := bytes.LastIndex(data, recordStart); last > 0 {
			s.region(name, data[:last], index, fr)
		}
		fr.warnFile(name, errors.New("invalid JSON: the file does not end with the close of its Records array (truncated?)"))
		return
	}
	s.region(name, bytes.TrimRight(body, " \t\r\n"), index, fr)
}

// region handles whole records: region starts at a record and ends at the
// end of one. It returns the index of the record after it.
//
// Needle first: one pass per needle finds the hits, and record boundaries
// are looked for only around them; the records are counted by the vector
// loop (finder.count), which does not stop at each one.
func (s *scanner) region(name string, region []byte, index int, fr *fileResult) int {
	lead := 0
	if !bytes.HasPrefix(region, recordStart) {
		// Text before the first record start (a record that does not begin
		// with eventVersion) counts as a record of its own.
		lead = 1
	}
	// end returns where the record starting at p ends: the next start.
	end := func(p int) int {
		if p >= len(region) {
			return len(region)
		}
		if i := s.start.index(region[p+1:]); i >= 0 {
			return p + 1 + i
		}
		return len(region)
	}
	hits := s.hits[:0] // the starts of the records holding a needle
	for _, needle := range s.finders {
		for off := 0; off < len(region); {
			i := needle.index(region[off:])
			if i < 0 {
				break
			}
			st := max(bytes.LastIndex(region[:off+i], recordStart), 0)
			hits = append(hits, st)
			off = end(st)
		}
	}
	if len(s.finders) > 1 {
		slices.Sort(hits)
		hits = slices.Compact(hits)
	}
	s.hits = hits
	counted, pos := 0, 0 // the record starts in region[:pos]
	extra := 0           // records found inside a segment that did not start with eventVersion
	done := 0            // region[:done] was consumed by joining pieces
	for _, st := range hits {
		if st < done {
			continue
		}
		counted += s.start.count(region[pos:st])
		pos = st
		r := counted + lead // the record's index in region
		if st == 0 && lead == 1 {
			r = 0
		}
		e := end(st)
		rec := trimRecord(region[st:e])
		if !s.hasAlso(rec) {
			continue
		}
		evs, err := s.decodeSegment(rec)
		// A nested object that happens to begin with eventVersion splits a
		// record in two: join the following pieces until it decodes.
		joined := 0
		for tries := 0; err != nil && tries < 8 && e < len(region); tries++ {
			e = end(e)
			joined++
			rec = trimRecord(region[st:e])
			evs, err = s.decodeSegment(rec)
		}
		at := index + extra + r + 1
		if err != nil {
			fr.warnRecord(name, at, err)
			continue
		}
		done = e
		for i := range evs {
			evs[i].Source = s.file.At(at + i)
			if s.keep(evs[i]) {
				s.found(fr, evs[i])
			}
		}
		extra += len(evs) - 1 - joined // pieces joined were one record
	}
	counted += s.start.count(region[pos:])
	n := counted + lead + extra
	fr.records += n
	return index + n
}

func trimRecord(b []byte) []byte {
	b = bytes.TrimRight(b, " \t\r\n")
	b = bytes.TrimSuffix(b, []byte(","))
	return bytes.TrimRight(b, " \t\r\n")
}

// decodeSegment decodes the text between two record starts: normally one
// record, or several when the writer did not put eventVersion first.
func (s *scanner) decodeSegment(seg []byte) ([]Event, error) {
	e, err := decodeRecord(seg)
	if err == nil {
		return []Event{e}, nil
	}
	if errors.Is(err, errWrongShape) {
		return nil, err
	}
	var many []json.RawMessage
	wrapped := make([]byte, 0, len(seg)+2)
	wrapped = append(append(append(wrapped, '['), seg...), ']')
	if json.Unmarshal(wrapped, &many) != nil || len(many) < 2 {
		return nil, err
	}
	var evs []Event
	for _, raw := range many {
		if !s.hasNeedle(raw) {
			evs = append(evs, Event{}) // keeps the record numbering
			continue
		}
		e, err := decodeRecord(raw)
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// keep applies the filter and options to a decoded event.
func (s *scanner) keep(e Event) bool {
	if e.EventName == "" {
		return false
	}
	switch s.opts.Filter {
	case FilterAny:
		if e.Denial == nil {
			return false
		}
	case FilterAll:
		if !e.IsReplication() {
			return false
		}
	default:
		if !e.IsReplication() || e.Denial == nil {
			return false
		}
	}
	if repos := s.opts.Repos(); len(repos) > 0 && !slices.ContainsFunc(repos, func(r string) bool {
		if strings.HasPrefix(r, "arn:") {
			return e.RepositoryARN == r
		}
		return e.Repository == r
	}) {
		return false
	}
	if !s.opts.Since.IsZero() && e.Time.Before(s.opts.Since) {
		return false
	}
	if !s.opts.Until.IsZero() && !e.Time.Before(s.opts.Until) {
		return false
	}
	if len(s.opts.Accounts) > 0 && !slices.Contains(s.opts.Accounts, e.Account) {
		return false
	}
	if len(s.opts.Regions) > 0 && !slices.Contains(s.opts.Regions, e.Region) {
		return false
	}
	return true
}

// generic streams any JSON layout: objects holding "Records" or "Events"
// arrays, arrays of records or of LookupEvents events, bare records, one
// after another (JSON lines).
func (s *scanner) generic(name string, r io.Reader, fr *fileResult) {
	feed := &jsonFeed{r: r}
	dec := json.NewDecoder(feed)
	feed.dec = dec
	values := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if values == 0 {
				if strings.HasSuffix(name, ".gz") {
					// A gzip file always has a header: nothing at all is a
					// download or copy that was cut off.
					fr.warnFile(name, errors.New("truncated: the .gz file is empty"))
				} else {
					fr.warnFile(name, fmt.Errorf("%w: no JSON in the file", errEmpty))
				}
			}
			return
		}
		if err != nil {
			fr.warnFile(name, jsonError(err))
			return
		}
		values++
		switch tok {
		case json.Delim('{'):
			err = s.object(name, dec, fr)
		case json.Delim('['):
			err = s.array(name, dec, fr)
			if err == nil {
				_, err = dec.Token() // ']'
			}
		default:
			err = fmt.Errorf("%w: a JSON %T at the top level", errWrongShape, tok)
		}
		if err != nil {
			fr.warnFile(name, jsonError(err))
			return
		}
	}
}

func jsonError(err error) error {
	if errors.Is(err, errWrongShape) || errors.Is(err, errNotTrail) || errors.Is(err, errTooLarge) {
		return err
	}
	var gzErr error = err
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: the file ends in the middle of a value (truncated?)")
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return fmt.Errorf("reading gzip: %w", gzErr)
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// errEmpty marks a file with nothing in it but whitespace.
var errEmpty = errors.New("empty")

// errTooLarge stops a record that grows past maxRecord: no CloudTrail
// record is that large, so the input is damaged, not a trail file, or a
// decompression bomb, and reading it on would only fill memory.
var errTooLarge = fmt.Errorf("a record is larger than %d MB: stopped reading (not a CloudTrail record; a decompression bomb?)", maxRecord>>20)

// errNotTrail marks a file that is JSON but no CloudTrail file at all (the
// output of another AWS call, say): found in a folder it is skipped and
// counted; named by the user it is a warning.
var errNotTrail = errors.New("not a CloudTrail file")

// object reads an object whose '{' was just read: a container of Records or
// Events, or a record on its own.
func (s *scanner) object(name string, dec *json.Decoder, fr *fileResult) error {
	var rebuilt []byte // a bare record, put back together
	container, record := false, false
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if len(keys) < 5 { // for the message only
			keys = append(keys, key)
		}
		if key == "eventName" || key == "CloudTrailEvent" {
			record = true
		}
		if !container && rebuilt == nil && (key == "Records" || key == "Events") {
			container = true
		}
		if container && (key == "Records" || key == "Events") {
			t, err := dec.Token()
			if err != nil {
				return err
			}
			if t == nil {
				continue // "Records": null
			}
			if t != json.Delim('[') {
				return fmt.Errorf("%w: %s is not a list", errWrongShape, key)
			}
			if err := s.array(name, dec, fr); err != nil {
				return err
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if container {
			continue // NextToken, ResultMetadata, ...
		}
		if rebuilt == nil {
			rebuilt = append(rebuilt, '{')
		} else {
			rebuilt = append(rebuilt, ',')
		}
		k, _ := json.Marshal(key)
		rebuilt = append(append(append(rebuilt, k...), ':'), raw...)
		if len(rebuilt) > maxRecord {
			return errTooLarge
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return err
	}
	if !container {
		if !record {
			return notTrail(keys)
		}
		s.record(name, append(rebuilt, '}'), fr)
	}
	return nil
}

func notTrail(keys []string) error {
	if len(keys) == 0 {
		return fmt.Errorf("%w: an empty JSON object", errNotTrail)
	}
	if len(keys) > 4 {
		keys = append(keys[:4:4], "…")
	}
	return fmt.Errorf("%w: a JSON object with %s, but no Records, Events or eventName", errNotTrail, strings.Join(keys, ", "))
}

// array reads the elements of an array whose '[' was just read.
func (s *scanner) array(name string, dec *json.Decoder, fr *fileResult) error {
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		s.record(name, raw, fr)
	}
	return nil
}

// lookupEvent is one element of LookupEvents' Events list.
type lookupEvent struct {
	EventID         string          `json:"EventId"`
	CloudTrailEvent json.RawMessage `json:"CloudTrailEvent"`
}

// record handles one element: a CloudTrail record or a LookupEvents event.
func (s *scanner) record(name string, raw json.RawMessage, fr *fileResult) {
	fr.records++
	index := fr.records
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		fr.warnRecord(name, index, fmt.Errorf("%w: not an object", errWrongShape))
		return
	}
	if !bytes.Contains(raw, []byte(`"eventName"`)) && !bytes.Contains(raw, []byte(`"CloudTrailEvent"`)) {
		// Told apart without decoding: this is the slow path already.
		fr.warnRecord(name, index, fmt.Errorf("%w: no eventName", errWrongShape))
		return
	}
	if !s.hasNeedle(raw) {
		return
	}
	rec := []byte(raw)
	var le lookupEvent
	if bytes.Contains(raw, []byte(`"CloudTrailEvent"`)) && json.Unmarshal(raw, &le) == nil && len(le.CloudTrailEvent) > 0 {
		ct := bytes.TrimSpace(le.CloudTrailEvent)
		if len(ct) > 0 && ct[0] == '"' {
			var str string
			if err := json.Unmarshal(ct, &str); err != nil {
				fr.warnRecord(name, index, fmt.Errorf("%w: CloudTrailEvent: %v", errWrongShape, err))
				return
			}
			ct = []byte(str)
		}
		rec = ct
	}
	if !s.hasNeedle(rec) {
		return
	}
	e, err := decodeRecord(rec)
	if err != nil {
		fr.warnRecord(name, index, err)
		return
	}
	if e.EventID == "" {
		e.EventID = le.EventID
	}
	e.Source = s.file.At(index)
	if s.keep(e) {
		s.found(fr, e)
	}
}

// delivered reads the delivery time in a trail file name:
// <account>_CloudTrail_<region>_20240501T1005Z_<id>.json.gz.
func delivered(base string) (time.Time, bool) {
	parts := strings.Split(base, "_")
	if len(parts) < 5 || parts[1] != "CloudTrail" {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", parts[3])
	return t, err == nil
}

// drain decompresses r into the scanner's buffer and discards it, chunk by
// chunk exactly as scan reads.
func (s *scanner) drain(r io.Reader) (int64, error) {
	src, err := s.source(r)
	if err != nil {
		return 0, err
	}
	var total int64
	for {
		data, err := fill(s.buf[:0], src)
		total += int64(len(data))
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
