package runner

import "strings"

// This file implements Kubernetes' $(VAR) expansion, the rules the kubelet
// applies to env values, command and args:
//
//   - $(NAME) is replaced by NAME's value when NAME is defined;
//   - $(NAME) of an undefined NAME is left as is, "$(NAME)";
//   - $$ is an escaped $: "$$(NAME)" yields the literal "$(NAME)";
//   - a $ not followed by ( or $ is kept with the byte after it;
//   - an unterminated "$(" is kept as is.

// expand returns s with its $(VAR) references resolved through lookup.
func expand(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		next := s[i+1]
		switch next {
		case '$':
			// Escaped operator.
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				// Unterminated reference: keep "$(" and go on after it.
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
			b.WriteByte(next)
			i++
		}
	}
	return b.String()
}

// mapLookup looks a name up in the maps in order, the first defining it
// winning.
func mapLookup(maps ...map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for _, m := range maps {
			if v, ok := m[name]; ok {
				return v, true
			}
		}
		return "", false
	}
}

// expandAll expands every element of in.
func expandAll(in []string, lookup func(string) (string, bool)) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, lookup)
	}
	return out
}
