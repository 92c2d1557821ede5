package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The policy grammar needs document order (conditions are reported in the
// order written) and exact positions for error messages, which
// map[string]any loses, so documents are decoded into this small ordered tree.

type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	switch k {
	case jsonNull:
		return "null"
	case jsonBool:
		return "a boolean"
	case jsonNumber:
		return "a number"
	case jsonString:
		return "a string"
	case jsonArray:
		return "a list"
	default:
		return "an object"
	}
}

type jsonNode struct {
	kind   jsonKind
	text   string // string value, number literal, or "true"/"false"
	items  []*jsonNode
	fields []jsonField
	// from and to are the node's place in the document, as validJSON
	// read it (both 0 from the token decoder).
	from, to int
}

type jsonField struct {
	key string
	val *jsonNode
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack; real
// policies nest at most five levels.
const maxDepth = 64

func decodeJSON(data []byte) (*jsonNode, error) {
	if json.Valid(data) {
		// The token decoder costs a few microseconds a token, a second
		// for a registry policy of 10,000 statements; valid JSON is read
		// by a scanner that need not check the grammar again.
		d := validJSON{data: data}
		return d.value(0)
	}
	// Invalid JSON: the token decoder finds the error and words it.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errors.New("unexpected data after the top-level value")
		}
		return nil, err
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, depth int) (*jsonNode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &jsonNode{kind: jsonNull}, nil
	case bool:
		if t {
			return &jsonNode{kind: jsonBool, text: "true"}, nil
		}
		return &jsonNode{kind: jsonBool, text: "false"}, nil
	case json.Number:
		return &jsonNode{kind: jsonNumber, text: t.String()}, nil
	case string:
		return &jsonNode{kind: jsonString, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &jsonNode{kind: jsonArray}
			for dec.More() {
				item, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '{':
			n := &jsonNode{kind: jsonObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.fields = append(n.fields, jsonField{key: key, val: val})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// validJSON reads a document json.Valid accepted into the same tree as
// decodeValue, with the same depth limit.
type validJSON struct {
	data []byte
	i    int
}

func (d *validJSON) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *validJSON) value(depth int) (*jsonNode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	d.space()
	from := d.i
	n, err := d.node(depth)
	if n != nil {
		n.from, n.to = from, d.i
	}
	return n, err
}

// node reads the value that starts at d.i.
func (d *validJSON) node(depth int) (*jsonNode, error) {
	switch d.data[d.i] {
	case '{':
		d.i++
		n := &jsonNode{kind: jsonObject}
		d.space()
		if d.data[d.i] == '}' {
			d.i++
			return n, nil
		}
		for {
			d.space()
			key, err := d.str()
			if err != nil {
				return nil, err
			}
			d.space()
			d.i++ // ':'
			val, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, jsonField{key: key, val: val})
			d.space()
			d.i++ // ',' or '}'
			if d.data[d.i-1] == '}' {
				return n, nil
			}
		}
	case '[':
		d.i++
		n := &jsonNode{kind: jsonArray}
		d.space()
		if d.data[d.i] == ']' {
			d.i++
			return n, nil
		}
		for {
			item, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
			d.space()
			d.i++ // ',' or ']'
			if d.data[d.i-1] == ']' {
				return n, nil
			}
		}
	case '"':
		s, err := d.str()
		return &jsonNode{kind: jsonString, text: s}, err
	case 't':
		d.i += 4
		return &jsonNode{kind: jsonBool, text: "true"}, nil
	case 'f':
		d.i += 5
		return &jsonNode{kind: jsonBool, text: "false"}, nil
	case 'n':
		d.i += 4
		return &jsonNode{kind: jsonNull}, nil
	}
	start := d.i
	for d.i < len(d.data) && strings.IndexByte("+-0123456789.eE", d.data[d.i]) >= 0 {
		d.i++
	}
	return &jsonNode{kind: jsonNumber, text: string(d.data[start:d.i])}, nil
}

// str reads a string at d.i. Plain ASCII is copied; anything with an
// escape or a byte outside printable ASCII is unquoted by encoding/json,
// which replaces invalid UTF-8 the way the token decoder does.
func (d *validJSON) str() (string, error) {
	start := d.i
	d.i++
	plain := true
	for c := d.data[d.i]; c != '"'; c = d.data[d.i] {
		if c == '\\' {
			plain = false
			d.i += 2
			continue
		}
		if c < 0x20 || c >= utf8.RuneSelf {
			plain = false
		}
		d.i++
	}
	d.i++
	if plain {
		return string(d.data[start+1 : d.i-1]), nil
	}
	var s string
	err := json.Unmarshal(d.data[start:d.i], &s)
	return s, err
}

// SyntaxMessage words a JSON decoding error of data with where it is, as
// "offset N (line L, column C)". The token decoder reports where the token began, not where
// the bad byte is, so the position comes from the standard library's
// validating scanner, whose offset counts the bytes read up to and including
// the offending one.
func SyntaxMessage(data []byte, err error) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "the document is empty"
	}
	var syn *json.SyntaxError
	var raw json.RawMessage
	if errors.As(json.Unmarshal(data, &raw), &syn) {
		line, col := lineColumn(data, syn.Offset)
		return fmt.Sprintf("%v at offset %d (line %d, column %d)", syn, syn.Offset, line, col)
	}
	return err.Error() // valid JSON the decoder still refused, e.g. nested too deep
}

// lineColumn turns a json.SyntaxError offset (the bytes read when the error
// was found) into the 1-based line and column of the offending byte.
func lineColumn(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 1), int64(len(data)))
	before := data[:max(offset-1, 0)]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}
