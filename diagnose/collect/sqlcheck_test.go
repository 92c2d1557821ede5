package collect

import (
	"fmt"
	"strings"
	"testing"
)

// No well-kept Go parser reads Athena's Hive DDL (STRUCT<...>, ROW FORMAT
// SERDE, TBLPROPERTIES) or Trino queries (lambdas, row field access): the Go
// SQL parsers that exist are for MySQL (vitess, TiDB, xwb1989/sqlparser,
// unmaintained since 2018) or PostgreSQL (pg_query_go, cgo). So the tests
// check the generated text with this tokenizer: every literal and quoted
// identifier is closed, brackets balance, the placeholders match the
// parameters, each parameter is one literal, and the select list names the
// columns recordFromRow reads.

type tokKind int

const (
	tokWord tokKind = iota
	tokString
	tokIdent // "quoted" or `quoted`
	tokNumber
	tokPunct
	tokParam // ?
)

type token struct {
	kind tokKind
	text string
}

func (t token) String() string { return t.text }

func sqlTokens(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return out, nil
			}
			i += j
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for {
				k := strings.IndexByte(s[j:], c)
				if k < 0 {
					return nil, fmt.Errorf("unterminated %c at offset %d", c, i)
				}
				j += k + 1
				if j < len(s) && s[j] == c { // doubled: an escaped quote
					j++
					continue
				}
				break
			}
			kind := tokIdent
			if c == '\'' {
				kind = tokString
			}
			out = append(out, token{kind, s[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, token{tokNumber, s[i:j]})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			// A Lake event data store id is written unquoted, hyphens and all,
			// as CloudTrail's documentation writes it.
			for j < len(s) && (isWordByte(s[j]) || s[j] == '-' && j+1 < len(s) && isWordByte(s[j+1])) {
				j++
			}
			out = append(out, token{tokWord, s[i:j]})
			i = j
		case c == '?':
			out = append(out, token{tokParam, "?"})
			i++
		case strings.HasPrefix(s[i:], "->") || strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<="):
			out = append(out, token{tokPunct, s[i : i+2]})
			i += 2
		case strings.ContainsRune("(),.=<>:*;", rune(c)):
			out = append(out, token{tokPunct, string(c)})
			i++
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return out, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkSQL fails the test when sql is not well formed (see above).
func checkSQL(t *testing.T, sql string, params []string) {
	t.Helper()
	toks, err := sqlTokens(sql)
	if err != nil {
		t.Fatalf("%v in:\n%s", err, sql)
	}
	depth, placeholders := 0, 0
	for _, tk := range toks {
		switch {
		case tk.text == "(":
			depth++
		case tk.text == ")":
			depth--
			if depth < 0 {
				t.Fatalf("unbalanced ) in:\n%s", sql)
			}
		case tk.kind == tokParam:
			placeholders++
		case tk.text == ";":
			t.Fatalf("a statement separator in:\n%s", sql)
		}
	}
	if depth != 0 {
		t.Fatalf("%d unclosed ( in:\n%s", depth, sql)
	}
	if placeholders != len(params) {
		t.Fatalf("%d placeholders, %d parameters in:\n%s", placeholders, len(params), sql)
	}
	for _, p := range params {
		pt, err := sqlTokens(p)
		if err != nil || len(pt) != 1 || pt[0].kind != tokString {
			t.Fatalf("parameter %s is not one string literal", p)
		}
	}
	if len(toks) == 0 {
		t.Fatal("empty SQL")
	}
	switch strings.ToUpper(toks[0].text) {
	case "SELECT":
		checkSelectList(t, toks, sql)
	case "CREATE":
		checkDDL(t, toks, sql)
	default:
		t.Fatalf("starts with %s:\n%s", toks[0].text, sql)
	}
}

// checkSelectList: the columns, by their last name or alias, are rowColumns.
func checkSelectList(t *testing.T, toks []token, sql string) {
	t.Helper()
	var names []string
	depth, last := 0, ""
	for _, tk := range toks[1:] {
		if depth == 0 && (tk.text == "," || strings.EqualFold(tk.text, "FROM")) {
			names = append(names, last)
			if strings.EqualFold(tk.text, "FROM") {
				break
			}
			continue
		}
		switch tk.text {
		case "(":
			depth++
		case ")":
			depth--
		}
		if depth == 0 && tk.kind == tokWord {
			last = strings.ToLower(tk.text)
		}
	}
	if strings.Join(names, ",") != strings.Join(rowColumns, ",") {
		t.Fatalf("select list %v, want %v:\n%s", names, rowColumns, sql)
	}
	for _, kw := range []string{"FROM", "ORDER"} {
		found := false
		for _, tk := range toks {
			found = found || tk.text == kw
		}
		if !found {
			t.Fatalf("no %s in:\n%s", kw, sql)
		}
	}
}

// checkDDL: CREATE EXTERNAL TABLE name (...) with balanced STRUCT<> types,
// and TBLPROPERTIES of 'key'='value' pairs.
func checkDDL(t *testing.T, toks []token, sql string) {
	t.Helper()
	if len(toks) < 4 || toks[1].text != "EXTERNAL" || toks[2].text != "TABLE" {
		t.Fatalf("not CREATE EXTERNAL TABLE:\n%s", sql)
	}
	angle := 0
	props := -1
	for i, tk := range toks {
		switch tk.text {
		case "<":
			angle++
		case ">":
			angle--
		case "TBLPROPERTIES":
			props = i
		}
		if angle < 0 {
			t.Fatalf("unbalanced > in:\n%s", sql)
		}
	}
	if angle != 0 {
		t.Fatalf("%d unclosed < in:\n%s", angle, sql)
	}
	if props < 0 || toks[props+1].text != "(" || toks[len(toks)-1].text != ")" {
		t.Fatalf("no TBLPROPERTIES (...) at the end:\n%s", sql)
	}
	body := toks[props+2 : len(toks)-1]
	for i := 0; i < len(body); i += 4 {
		if i+2 >= len(body) || body[i].kind != tokString || body[i+1].text != "=" || body[i+2].kind != tokString || (i+3 < len(body) && body[i+3].text != ",") {
			t.Fatalf("TBLPROPERTIES entry %d is not 'key'='value':\n%s", i/4+1, sql)
		}
	}
}
