package syntax

import "reflect"

// Walk calls fn for node and, while fn returns true, for each node below
// it in source order. Nil nodes are skipped.
func Walk(node Node, fn func(Node) bool) {
	if node == nil || reflect.ValueOf(node).IsNil() {
		return
	}
	if !fn(node) {
		return
	}
	walkValue(reflect.ValueOf(node).Elem(), fn)
}

// walkValue visits the nodes held by v's fields: nodes, slices of nodes,
// and helper structs (IfClause, HashPair, ...) that hold nodes.
func walkValue(v reflect.Value, fn func(Node) bool) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Type == spanType {
				continue
			}
			walkValue(v.Field(i), fn)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkValue(v.Index(i), fn)
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if n, ok := v.Interface().(Node); ok {
			Walk(n, fn)
			return
		}
		walkValue(v.Elem(), fn)
	}
}

var spanType = reflect.TypeOf(Span{})
