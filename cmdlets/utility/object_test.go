package utility

import (
	"strings"
	"testing"

	"exsh/shell/object"
)

func TestSelectObject(t *testing.T) {
	rt := newRT()
	double := rt.script(func(v any) []any {
		n, _ := object.ToInt(v.(*object.PSObject).Property("Count").Value)
		return []any{n * 2}
	})
	calc := object.NewHashtable()
	calc.Set("n", "Double")
	calc.Set("e", double)
	objs := []any{obj("Name", "b", "Count", 2, "MaxSize", 10, "MaxRate", 5), obj("Name", "a", "Count", 1, "MaxSize", 20, "MaxRate", 6)}
	tests := []struct {
		name  string
		bound map[string]any
		in    []any
		want  string
	}{
		{"first", map[string]any{"First": 2}, ints(1, 2, 3, 4, 5), "1 | 2"},
		{"last", map[string]any{"Last": 2}, ints(1, 2, 3, 4, 5), "4 | 5"},
		{"skip first", map[string]any{"Skip": 1, "First": 2}, ints(1, 2, 3, 4, 5), "2 | 3"},
		{"last skip", map[string]any{"Last": 2, "Skip": 1}, ints(1, 2, 3, 4, 5), "3 | 4"},
		{"unique", map[string]any{"Unique": true}, []any{"a", "A", "a", "b"}, "a | A | b"},
		{"property calculated", map[string]any{"Property": []any{"Name", calc}}, objs, "@{Name=b; Double=4} | @{Name=a; Double=2}"},
		{"wildcard exclude", map[string]any{"Property": []any{"Max*"}, "ExcludeProperty": []any{"*Rate"}}, objs, "@{MaxSize=10} | @{MaxSize=20}"},
		{"exclude only", map[string]any{"ExcludeProperty": []any{"Max*"}}, objs[:1], "@{Name=b; Count=2}"},
		{"missing property", map[string]any{"Property": []any{"Nope"}}, objs[:1], "@{Nope=}"},
		{"expand", map[string]any{"ExpandProperty": "Bindings"}, []any{obj("Bindings", []any{"0.0.0.0:25", "[::]:25"})}, "0.0.0.0:25 | [::]:25"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := showAll(mustInvoke(t, rt, "Select-Object", tc.bound, tc.in...))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// Selected objects get PowerShell's "Selected." type name.
	out := mustInvoke(t, rt, "Select-Object", map[string]any{"Property": []any{"Name"}}, objs[0])
	if tn := out[0].(*object.PSObject).TypeNames[0]; tn != "Selected.System.Management.Automation.PSCustomObject" {
		t.Errorf("type name %q", tn)
	}
	// -ExpandProperty of a missing property is a non-terminating error.
	mustInvoke(t, rt, "Select-Object", map[string]any{"ExpandProperty": "Nope"}, objs[0])
	if len(rt.errs) != 1 || !strings.Contains(rt.errs[0].Error(), `"Nope" cannot be found`) {
		t.Errorf("errors: %v", rt.errs)
	}
}

func TestSortObject(t *testing.T) {
	rt := newRT()
	byLen := rt.script(func(v any) []any { return []any{len(v.(string))} })
	desc := object.NewHashtable()
	desc.Set("Expression", "Count")
	desc.Set("Descending", true)
	objs := []any{obj("Name", "b", "Count", 1), obj("Name", "a", "Count", 2), obj("Name", "c", "Count", 1)}
	tests := []struct {
		name  string
		bound map[string]any
		in    []any
		want  string
	}{
		{"numbers", nil, ints(3, 1, 2), "1 | 2 | 3"},
		{"descending", map[string]any{"Descending": true}, ints(3, 1, 2), "3 | 2 | 1"},
		{"strings ci", nil, []any{"b", "B", "a"}, "a | b | B"},
		{"unique", map[string]any{"Unique": true}, []any{"b", "B", "a"}, "a | b"},
		{"case sensitive unique", map[string]any{"Unique": true, "CaseSensitive": true}, []any{"b", "B", "a"}, "a | b | B"},
		{"script block", map[string]any{"Property": []any{byLen}}, []any{"ccc", "a", "bb"}, "a | bb | ccc"},
		{"property stable", map[string]any{"Property": []any{"Count"}}, objs, "@{Name=b; Count=1} | @{Name=c; Count=1} | @{Name=a; Count=2}"},
		{"hashtable descending then name", map[string]any{"Property": []any{desc, "Name"}}, objs, "@{Name=a; Count=2} | @{Name=b; Count=1} | @{Name=c; Count=1}"},
		{"nulls first", map[string]any{"Property": []any{"Count"}}, []any{obj("Count", 1), obj("Count", nil)}, "@{Count=} | @{Count=1}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := showAll(mustInvoke(t, rt, "Sort-Object", tc.bound, tc.in...))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGroupObject(t *testing.T) {
	rt := newRT()
	in := []any{obj("Name", "q1", "Status", "Ready"), obj("Name", "q2", "Status", "retry"), obj("Name", "q3", "Status", "ready")}
	out := mustInvoke(t, rt, "Group-Object", map[string]any{"Property": []any{"Status"}}, in...)
	checkGolden(t, "group_object", render(out))
	out = mustInvoke(t, rt, "Group-Object", map[string]any{"Property": []any{"Status"}, "NoElement": true, "CaseSensitive": true}, in...)
	checkGolden(t, "group_object_noelement", render(out))
	out = mustInvoke(t, rt, "Group-Object", map[string]any{"Property": []any{"Status"}, "AsHashTable": true}, in...)
	h := out[0].(*object.Hashtable)
	if g, _ := h.Get("READY"); len(object.ToList(g)) != 2 {
		t.Errorf("hashtable group: %v", g)
	}
}

func TestMeasureObject(t *testing.T) {
	rt := newRT()
	out := mustInvoke(t, rt, "Measure-Object", nil, ints(1, 2, 3)...)
	checkGolden(t, "measure_count", render(out))
	out = mustInvoke(t, rt, "Measure-Object", map[string]any{"Property": []any{"MessageCount"}, "Sum": true, "Average": true, "Maximum": true, "Minimum": true},
		obj("MessageCount", 4), obj("MessageCount", 1), obj("MessageCount", 10))
	checkGolden(t, "measure_property", render(out))
	m := out[0].(*object.PSObject)
	if s, _ := m.Get("Sum"); s != 15.0 {
		t.Errorf("Sum = %v", s)
	}
	out = mustInvoke(t, rt, "Measure-Object", map[string]any{"Line": true, "Word": true, "Character": true}, "one two", "three")
	checkGolden(t, "measure_text", render(out))
	mustInvoke(t, rt, "Measure-Object", map[string]any{"Property": []any{"Nope"}}, obj("A", 1))
	if len(rt.errs) != 1 {
		t.Errorf("want a property-not-found error, got %v", rt.errs)
	}
}

func TestCompareObject(t *testing.T) {
	rt := newRT()
	out := mustInvoke(t, rt, "Compare-Object", map[string]any{"ReferenceObject": []any{"a", "b", "c"}, "DifferenceObject": []any{"b", "c", "d"}})
	if got := showAll(out); got != "@{InputObject=d; SideIndicator==>} | @{InputObject=a; SideIndicator=<=}" {
		t.Errorf("got %q", got)
	}
}
