package interp

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// rawArg is one evaluated argument of a command, before binding.
type rawArg struct {
	name     string // for -Name (without '-')
	named    bool
	value    any
	hasValue bool // -Name:value, or a positional value
	bare     bool // the value was a bare word
	span     syntax.Span
}

// commonValues are the common parameters given to a command; empty
// strings and nil pointers mean "not given".
type commonValues struct {
	errorAction, warningAction string // lower-case
	errorVariable, outVariable string
	warningVariable            string
	verbose, debug, whatIf     *bool
	confirm                    *bool
}

// binding is the result of binding a command's arguments.
type binding struct {
	info   *CmdletInfo
	bound  map[string]any // by ParamInfo.Name
	common commonValues
	set    string
	// sets are the parameter sets still possible.
	sets []string
	// extra are arguments a simple function receives in $args.
	extra []any
	// inSet caches the parameters of the chosen set.
	inSet []*ParamInfo
	// byValue and byName are the parameters pipeline input can still
	// bind (not bound from arguments), found once per binding.
	pipeDone        bool
	byValue, byName []*ParamInfo
}

// pipelineParams returns the parameters of the chosen set that take
// pipeline input by value and by property name and were not bound from
// arguments.
func (b *binding) pipelineParams() (byValue, byName []*ParamInfo) {
	if !b.pipeDone {
		for _, p := range b.setParams() {
			if _, static := b.bound[p.Name]; static {
				continue
			}
			if p.FromPipeline {
				b.byValue = append(b.byValue, p)
			}
			if p.FromPipelineByPropertyName {
				b.byName = append(b.byName, p)
			}
		}
		b.pipeDone = true
	}
	return b.byValue, b.byName
}

func (b *binding) copyBound() map[string]any {
	m := make(map[string]any, len(b.bound)+2)
	for k, v := range b.bound {
		m[k] = v
	}
	return m
}

var actionPreferences = []string{"SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend"}

// commonParams are accepted by every command.
var commonParams = []*ParamInfo{
	{Name: "Verbose", Kind: KindSwitch, Aliases: []string{"vb"}, Position: -1},
	{Name: "Debug", Kind: KindSwitch, Aliases: []string{"db"}, Position: -1},
	{Name: "ErrorAction", Kind: KindEnum, Values: actionPreferences, Aliases: []string{"ea"}, Position: -1, TypeName: "System.Management.Automation.ActionPreference"},
	{Name: "WarningAction", Kind: KindEnum, Values: actionPreferences, Aliases: []string{"wa"}, Position: -1, TypeName: "System.Management.Automation.ActionPreference"},
	{Name: "InformationAction", Kind: KindEnum, Values: actionPreferences, Aliases: []string{"infa"}, Position: -1, TypeName: "System.Management.Automation.ActionPreference"},
	{Name: "ErrorVariable", Kind: KindString, Aliases: []string{"ev"}, Position: -1},
	{Name: "WarningVariable", Kind: KindString, Aliases: []string{"wv"}, Position: -1},
	{Name: "InformationVariable", Kind: KindString, Aliases: []string{"iv"}, Position: -1},
	{Name: "OutVariable", Kind: KindString, Aliases: []string{"ov"}, Position: -1},
	{Name: "OutBuffer", Kind: KindInt, Aliases: []string{"ob"}, Position: -1},
	{Name: "PipelineVariable", Kind: KindString, Aliases: []string{"pv"}, Position: -1},
}

// shouldProcessParams are added by SupportsShouldProcess.
var shouldProcessParams = []*ParamInfo{
	{Name: "WhatIf", Kind: KindSwitch, Aliases: []string{"wi"}, Position: -1},
	{Name: "Confirm", Kind: KindSwitch, Aliases: []string{"cf"}, Position: -1},
}

// CommonParameters returns the common parameters every command accepts
// (and -WhatIf/-Confirm when shouldProcess), for help and completion.
func CommonParameters(shouldProcess bool) []*ParamInfo {
	out := append([]*ParamInfo(nil), commonParams...)
	if shouldProcess {
		out = append(out, shouldProcessParams...)
	}
	return out
}

// paramIndex maps lower-case names and aliases to parameters.
type paramIndex struct {
	all    []*ParamInfo // declared, then common
	byName map[string]*ParamInfo
	common map[*ParamInfo]bool
	sets   []string // the command's parameter sets; see allSets
}

var indexes sync.Map // *CmdletInfo -> *paramIndex

func indexFor(info *CmdletInfo) *paramIndex {
	if ix, ok := indexes.Load(info); ok {
		return ix.(*paramIndex)
	}
	ix := &paramIndex{byName: map[string]*ParamInfo{}, common: map[*ParamInfo]bool{}}
	add := func(p *ParamInfo, common bool) {
		if _, dup := ix.byName[strings.ToLower(p.Name)]; dup {
			return
		}
		ix.all = append(ix.all, p)
		if common {
			ix.common[p] = true
		}
		ix.byName[strings.ToLower(p.Name)] = p
		for _, a := range p.Aliases {
			if _, dup := ix.byName[strings.ToLower(a)]; !dup {
				ix.byName[strings.ToLower(a)] = p
			}
		}
	}
	for _, p := range info.Params {
		add(p, false)
	}
	for _, p := range CommonParameters(info.SupportsShouldProcess) {
		add(p, true)
	}
	ix.sets = allSets(info)
	indexes.Store(info, ix)
	return ix
}

// resolve finds the parameter for a (possibly abbreviated) name.
func (ix *paramIndex) resolve(info *CmdletInfo, name string) (*ParamInfo, error) {
	ln := strings.ToLower(name)
	if p, ok := ix.byName[ln]; ok {
		return p, nil
	}
	var matches []*ParamInfo
	seen := map[*ParamInfo]bool{}
	for k, p := range ix.byName {
		if strings.HasPrefix(k, ln) && !seen[p] {
			seen[p] = true
			matches = append(matches, p)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return nil, bindError(info, "NamedParameterNotFound", "", fmt.Sprintf("A parameter cannot be found that matches parameter name '%s'.", name))
	}
	// Declared parameters win over common ones of the same prefix.
	var declared []*ParamInfo
	for _, p := range matches {
		if !ix.common[p] {
			declared = append(declared, p)
		}
	}
	if len(declared) == 1 {
		return declared[0], nil
	}
	sort.Slice(matches, func(i, j int) bool { return ix.order(matches[i]) < ix.order(matches[j]) })
	names := make([]string, len(matches))
	for i, p := range matches {
		names[i] = "-" + p.Name
	}
	return nil, bindError(info, "AmbiguousParameter", "", fmt.Sprintf(
		"Parameter cannot be processed because the parameter name '%s' is ambiguous. Possible matches include: %s.", name, strings.Join(names, " ")))
}

func (ix *paramIndex) order(p *ParamInfo) int {
	for i, q := range ix.all {
		if q == p {
			return i
		}
	}
	return len(ix.all)
}

// bindError is a parameter binding error record.
func bindError(info *CmdletInfo, id, category, msg string) *ErrorRecord {
	if category == "" {
		category = "InvalidArgument"
	}
	r := NewError(category, "ParameterBindingException", id, "", "%s", msg)
	r.Activity = info.Name
	return r
}

// atArg points a binding error at the parameter or argument that caused
// it, as PowerShell underlines that token rather than the command.
func atArg(err error, sp syntax.Span) error {
	if rec, ok := err.(*ErrorRecord); ok && rec.at == nil && sp.Start.IsValid() {
		rec.at = &sp
	}
	return err
}

// bindArgs binds a command's arguments to its parameters: named (with
// unique prefixes and aliases), then positional, resolving parameter sets.
// expectInput says the command receives pipeline input.
func (s *Session) bindArgs(info *CmdletInfo, args []rawArg, expectInput bool) (*binding, error) {
	b := &binding{info: info, bound: map[string]any{}}
	ix := indexFor(info)
	fn := s.functionOf(info)
	simple := fn != nil && fn.simple
	var positional []rawArg
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !a.named {
			positional = append(positional, a)
			continue
		}
		p, err := ix.resolve(info, a.name)
		if err != nil {
			if simple {
				// A simple function gets unknown -names in $args.
				b.extra = append(b.extra, "-"+a.name)
				if a.hasValue {
					b.extra = append(b.extra, a.value)
				}
				continue
			}
			return nil, atArg(err, a.span)
		}
		var val any
		valSpan := a.span
		switch {
		case p.Kind == KindSwitch:
			val = true
			if a.hasValue {
				val = object.ToBool(a.value)
			}
		case a.hasValue:
			val = a.value
		case i+1 < len(args) && !args[i+1].named:
			i++
			val = args[i].value
			valSpan = args[i].span
		default:
			return nil, atArg(bindError(info, "MissingArgument", "", fmt.Sprintf(
				"Missing an argument for parameter '%s'. Specify a parameter of type '%s' and try again.", p.Name, paramTypeName(p))), a.span)
		}
		if ix.common[p] {
			if err := b.setCommon(p, val); err != nil {
				return nil, atArg(err, valSpan)
			}
			continue
		}
		if _, dup := b.bound[p.Name]; dup {
			return nil, atArg(bindError(info, "ParameterAlreadyBound", "", fmt.Sprintf(
				"Cannot bind parameter because parameter '%s' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\".", p.Name)), a.span)
		}
		conv, err := convertArg(info, p, val)
		if err != nil {
			return nil, atArg(err, valSpan)
		}
		b.bound[p.Name] = conv
	}
	b.sets = ix.sets
	for name := range b.bound {
		p := ix.byName[strings.ToLower(name)]
		if len(p.Sets) > 0 {
			b.sets = intersect(b.sets, p.Sets)
		}
	}
	if len(b.sets) == 0 {
		return nil, bindError(info, "AmbiguousParameterSet", "", "Parameter set cannot be resolved using the specified named parameters.")
	}
	if err := b.bindPositional(positional, simple); err != nil {
		return nil, err
	}
	b.set = b.chooseSet(expectInput)
	return b, nil
}

func (b *binding) setCommon(p *ParamInfo, val any) error {
	switch p.Name {
	case "ErrorAction", "WarningAction", "InformationAction":
		conv, err := convertArg(b.info, p, val)
		if err != nil {
			return err
		}
		v := strings.ToLower(conv.(string))
		if p.Name == "ErrorAction" {
			b.common.errorAction = v
		} else if p.Name == "WarningAction" {
			b.common.warningAction = v
		}
	case "ErrorVariable":
		b.common.errorVariable = object.ToString(val)
	case "OutVariable":
		b.common.outVariable = object.ToString(val)
	case "WarningVariable":
		b.common.warningVariable = object.ToString(val)
	case "Verbose":
		v := object.ToBool(val)
		b.common.verbose = &v
	case "Debug":
		v := object.ToBool(val)
		b.common.debug = &v
	case "WhatIf":
		v := object.ToBool(val)
		b.common.whatIf = &v
	case "Confirm":
		v := object.ToBool(val)
		b.common.confirm = &v
	}
	return nil
}

const allSetsName = "__AllParameterSets"

// allSets lists the command's parameter sets in declaration order.
func allSets(info *CmdletInfo) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if info.DefaultParameterSet != "" {
		add(info.DefaultParameterSet)
	}
	for _, p := range info.Params {
		for _, s := range p.Sets {
			add(s)
		}
	}
	if len(out) == 0 {
		add(allSetsName)
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

func inSets(p *ParamInfo, sets []string) bool {
	return len(p.Sets) == 0 || len(intersect(p.Sets, sets)) > 0
}

// bindPositional binds positional values in position order.
func (b *binding) bindPositional(args []rawArg, simple bool) error {
	info := b.info
	for len(args) > 0 {
		var cands []*ParamInfo
		for _, p := range info.Params {
			if _, done := b.bound[p.Name]; done || p.Position < 0 || p.Kind == KindSwitch || p.Remaining || !inSets(p, b.sets) {
				continue
			}
			cands = append(cands, p)
		}
		if len(cands) == 0 {
			break
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].Position < cands[j].Position })
		p := cands[0]
		// Among parameters at the same position, prefer the default set's.
		for _, q := range cands[1:] {
			if q.Position != p.Position {
				break
			}
			if info.DefaultParameterSet != "" && !inSets(p, []string{info.DefaultParameterSet}) && inSets(q, []string{info.DefaultParameterSet}) && containsFold(b.sets, info.DefaultParameterSet) {
				p = q
			}
		}
		conv, err := convertArg(info, p, args[0].value)
		if err != nil {
			return atArg(err, args[0].span)
		}
		b.bound[p.Name] = conv
		if len(p.Sets) > 0 {
			b.sets = intersect(b.sets, p.Sets)
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return nil
	}
	for _, p := range info.Params {
		if p.Remaining && inSets(p, b.sets) {
			var rest []any
			if old, ok := b.bound[p.Name]; ok {
				rest = object.ToList(old)
			}
			for _, a := range args {
				rest = append(rest, a.value)
			}
			conv, err := convertArg(info, &ParamInfo{Name: p.Name, Kind: p.Kind, Array: true, Values: p.Values}, rest)
			if err != nil {
				return err
			}
			b.bound[p.Name] = conv
			return nil
		}
	}
	if simple {
		for _, a := range args {
			b.extra = append(b.extra, a.value)
		}
		return nil
	}
	return atArg(bindError(info, "PositionalParameterNotFound", "", fmt.Sprintf(
		"A positional parameter cannot be found that accepts argument '%s'.", argText(args[0].value))), args[0].span)
}

func argText(v any) string {
	switch v.(type) {
	case []any:
		return "System.Object[]"
	case *object.Hashtable:
		return "System.Collections.Hashtable"
	}
	return object.ToString(v)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// chooseSet picks the parameter set among the remaining candidates.
func (b *binding) chooseSet(expectInput bool) string {
	if len(b.sets) == 1 {
		if b.sets[0] == allSetsName {
			return ""
		}
		return b.sets[0]
	}
	if d := b.info.DefaultParameterSet; d != "" && containsFold(b.sets, d) {
		return d
	}
	for _, set := range b.sets {
		ok := true
		for _, p := range b.info.Params {
			if !p.Mandatory || !inSets(p, []string{set}) {
				continue
			}
			if _, bound := b.bound[p.Name]; bound {
				continue
			}
			if expectInput && (p.FromPipeline || p.FromPipelineByPropertyName) {
				continue
			}
			ok = false
			break
		}
		if ok {
			return set
		}
	}
	return b.sets[0]
}

// setParams returns the parameters that belong to the chosen set.
func (b *binding) setParams() []*ParamInfo {
	if b.inSet != nil {
		return b.inSet
	}
	out := []*ParamInfo{}
	for _, p := range b.info.Params {
		if b.set == "" || inSets(p, []string{b.set}) {
			out = append(out, p)
		}
	}
	b.inSet = out
	return out
}

// checkMandatory reports missing mandatory parameters; with expectInput,
// parameters that the pipeline can still bind are not missing yet.
func (s *Session) checkMandatory(b *binding, bound map[string]any, expectInput bool) error {
	var missing []string
	for _, p := range b.setParams() {
		if !p.Mandatory {
			continue
		}
		if _, ok := bound[p.Name]; ok {
			continue
		}
		if expectInput && (p.FromPipeline || p.FromPipelineByPropertyName) {
			continue
		}
		missing = append(missing, p.Name)
	}
	if len(missing) == 0 {
		return nil
	}
	return bindError(b.info, "MissingMandatoryParameter", "", fmt.Sprintf(
		"Cannot process command because of one or more missing mandatory parameters: %s.", strings.Join(missing, " ")))
}

// bindInput binds a pipeline object to the parameters that take pipeline
// input: by value without conversion, by property name, then by value
// with conversion.
func (s *Session) bindInput(b *binding, bound map[string]any, input any) error {
	byValue, byName := b.pipelineParams()
	if len(byValue) == 0 && len(byName) == 0 {
		// A command without pipeline parameters reads Call.Input itself.
		return nil
	}
	any := false
	valueBound := false
	for _, p := range byValue {
		if exactKind(p, input) {
			conv, err := convertArg(b.info, p, input)
			if err == nil {
				bound[p.Name] = conv
				any, valueBound = true, true
				break
			}
		}
	}
	for _, p := range byName {
		if _, done := bound[p.Name]; done {
			continue
		}
		if v, ok := propertyOf(input, p); ok {
			conv, err := convertArg(b.info, p, v)
			if err != nil {
				return err
			}
			bound[p.Name] = conv
			any = true
		}
	}
	if !valueBound {
		var lastErr error
		for _, p := range byValue {
			if _, done := bound[p.Name]; done {
				continue
			}
			conv, err := convertArg(b.info, p, input)
			if err != nil {
				lastErr = err
				continue
			}
			bound[p.Name] = conv
			any = true
			break
		}
		if !any && lastErr != nil {
			return lastErr
		}
	}
	if !any {
		return bindError(b.info, "InputObjectNotBound", "", "The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.")
	}
	return nil
}

// exactKind reports whether v already has the parameter's type.
func exactKind(p *ParamInfo, v any) bool {
	if p.Array {
		return true
	}
	switch p.Kind {
	case KindObject:
		return true
	case KindString, KindEnum:
		_, ok := v.(string)
		return ok
	case KindInt, KindInt64, KindDouble:
		return object.IsNumber(v)
	case KindBool, KindSwitch:
		_, ok := v.(bool)
		return ok
	case KindDateTime:
		_, ok := v.(time.Time)
		return ok
	case KindTimeSpan:
		_, ok := v.(time.Duration)
		return ok
	case KindScriptBlock:
		_, ok := v.(*ScriptBlock)
		return ok
	case KindHashtable:
		_, ok := v.(*object.Hashtable)
		return ok
	case KindCredential:
		_, ok := v.(*Credential)
		return ok
	case KindSecureString:
		_, ok := v.(*SecureString)
		return ok
	case KindByteSize:
		_, ok := v.(ByteSize)
		return ok
	}
	return false
}

// propertyOf reads the property a ValueFromPipelineByPropertyName
// parameter binds from (its name or an alias).
func propertyOf(v any, p *ParamInfo) (any, bool) {
	o, ok := v.(*object.PSObject)
	if !ok {
		return nil, false
	}
	if val, ok := o.Get(p.Name); ok {
		return val, true
	}
	for _, a := range p.Aliases {
		if val, ok := o.Get(a); ok {
			return val, true
		}
	}
	return nil, false
}

// paramTypeName is the .NET type name of a parameter for messages.
func paramTypeName(p *ParamInfo) string {
	if p.TypeName != "" {
		return p.TypeName
	}
	t := map[ParamKind]string{
		KindObject: "System.Object", KindString: "System.String", KindInt: "System.Int32", KindInt64: "System.Int64",
		KindDouble: "System.Double", KindBool: "System.Boolean", KindSwitch: "System.Management.Automation.SwitchParameter",
		KindDateTime: "System.DateTime", KindTimeSpan: "System.TimeSpan", KindByteSize: "Microsoft.Exchange.Data.ByteQuantifiedSize",
		KindEnum: "System.String", KindScriptBlock: "System.Management.Automation.ScriptBlock", KindHashtable: "System.Collections.Hashtable",
		KindSecureString: "System.Security.SecureString", KindCredential: "System.Management.Automation.PSCredential",
	}[p.Kind]
	if p.Array {
		t += "[]"
	}
	return t
}

// convertArg converts an argument to a parameter's declared kind.
func convertArg(info *CmdletInfo, p *ParamInfo, v any) (any, error) {
	if p.Multi {
		if h, ok := v.(*object.Hashtable); ok && isAddRemove(h) {
			mv := &MultiValue{}
			for _, k := range h.Keys() {
				val, _ := h.Get(k)
				list, err := convertList(info, p, val)
				if err != nil {
					return nil, err
				}
				switch strings.ToLower(object.ToString(k)) {
				case "add":
					mv.Add = list
				case "remove":
					mv.Remove = list
				}
			}
			return mv, nil
		}
	}
	if v == nil && p.Mandatory {
		return nil, validationError(info, "ParameterArgumentValidationErrorNullNotAllowed", fmt.Sprintf(
			"Cannot bind argument to parameter '%s' because it is null.", p.Name))
	}
	var out any
	var err error
	if p.Array {
		if v == nil {
			return nil, nil
		}
		out, err = convertList(info, p, v)
	} else {
		if l, ok := v.([]any); ok && p.Kind != KindObject {
			switch {
			case len(l) == 1:
				v = l[0]
			case p.Kind == KindString:
				v = join(l, " ")
			case p.Kind == KindSwitch || p.Kind == KindBool:
			default:
				return nil, bindError(info, "CannotConvertArgument", "", fmt.Sprintf(
					"Cannot bind parameter '%s'. Cannot convert the \"System.Object[]\" value of type \"System.Object[]\" to type \"%s\".", p.Name, paramTypeName(p)))
			}
		}
		out, err = convertScalar(info, p, v)
	}
	if err != nil {
		return nil, err
	}
	if p.Mandatory && p.Kind == KindString && out == "" {
		return nil, validationError(info, "ParameterArgumentValidationErrorEmptyStringNotAllowed", fmt.Sprintf(
			"Cannot bind argument to parameter '%s' because it is an empty string.", p.Name))
	}
	if p.Validate != nil {
		if verr := p.Validate(out); verr != nil {
			return nil, validationError(info, "ParameterArgumentValidationError", fmt.Sprintf(
				"Cannot validate argument on parameter '%s'. %s", p.Name, verr.Error()))
		}
	}
	return out, nil
}

func validationError(info *CmdletInfo, id, msg string) *ErrorRecord {
	r := bindError(info, id, "InvalidData", msg)
	r.Reason = "ParameterBindingValidationException"
	return r
}

// transformError is the error of a function parameter whose type
// constraint cannot take the argument.
func transformError(info *CmdletInfo, msg string) *ErrorRecord {
	r := bindError(info, "ParameterArgumentTransformationError", "InvalidData", msg)
	r.Reason = "ParameterBindingArgumentTransformationException"
	return r
}

func isAddRemove(h *object.Hashtable) bool {
	if h.Len() == 0 {
		return false
	}
	for _, k := range h.Keys() {
		switch strings.ToLower(object.ToString(k)) {
		case "add", "remove":
		default:
			return false
		}
	}
	return true
}

func convertList(info *CmdletInfo, p *ParamInfo, v any) ([]any, error) {
	items := object.ToList(v)
	if p.Kind == KindEnum {
		// "A, B" binds as two flags, as enum conversion of a string does.
		var split []any
		for _, it := range items {
			if s, ok := it.(string); ok && strings.Contains(s, ",") {
				for _, part := range strings.Split(s, ",") {
					split = append(split, strings.TrimSpace(part))
				}
			} else {
				split = append(split, it)
			}
		}
		items = split
	}
	out := make([]any, 0, len(items))
	for _, it := range items {
		c, err := convertScalar(info, p, it)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func convertScalar(info *CmdletInfo, p *ParamInfo, v any) (any, error) {
	fail := func(err error) error {
		if _, isFunction := fnInfos.Load(info); isFunction {
			return transformError(info, fmt.Sprintf("Cannot process argument transformation on parameter '%s'. %s", p.Name, err.Error()))
		}
		return bindError(info, "CannotConvertArgumentNoMessage", "", fmt.Sprintf("Cannot bind parameter '%s'. %s", p.Name, err.Error()))
	}
	cannot := func(target string) error {
		return bindError(info, "CannotConvertArgument", "", fmt.Sprintf(
			"Cannot bind parameter '%s'. Cannot convert the \"%s\" value of type \"%s\" to type \"%s\".", p.Name, object.ToString(v), object.TypeName(v), target))
	}
	switch p.Kind {
	case KindObject:
		return v, nil
	case KindString:
		if v == nil {
			return "", nil
		}
		return object.ToString(v), nil
	case KindInt, KindInt64, KindDouble:
		name := map[ParamKind]string{KindInt: "int", KindInt64: "long", KindDouble: "double"}[p.Kind]
		if s, ok := v.(string); ok && strings.EqualFold(strings.TrimSpace(s), "unlimited") {
			if p.Kind == KindInt64 {
				return int64(Unlimited), nil
			}
			return Unlimited, nil
		}
		c, err := object.Convert(v, name)
		if err != nil {
			return nil, fail(err)
		}
		return c, nil
	case KindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "$true":
				return true, nil
			case "false", "$false":
				return false, nil
			}
		case nil:
			return false, nil
		default:
			if object.IsNumber(x) {
				return object.ToBool(x), nil
			}
		}
		return nil, transformError(info, fmt.Sprintf(
			"Cannot process argument transformation on parameter '%s'. Cannot convert value \"%s\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
			p.Name, object.TypeName(v)))
	case KindSwitch:
		return object.ToBool(v), nil
	case KindDateTime:
		c, err := object.Convert(v, "datetime")
		if err != nil {
			return nil, fail(err)
		}
		return c, nil
	case KindTimeSpan:
		c, err := object.Convert(v, "timespan")
		if err != nil {
			return nil, fail(err)
		}
		return c, nil
	case KindByteSize:
		switch x := v.(type) {
		case ByteSize:
			return x, nil
		case string:
			n, err := ParseByteSize(x)
			if err != nil {
				return nil, fail(&object.ConversionError{Value: x, Type: paramTypeName(p), Reason: err.Error()})
			}
			return n, nil
		}
		if object.IsNumber(v) {
			n, err := object.ToInt64(v)
			if err != nil {
				return nil, fail(err)
			}
			return ByteSize(n), nil
		}
		if s, ok := v.(fmt.Stringer); ok {
			// A size object read from another one ("36 MB (37,748,736
			// bytes)", "Unlimited").
			if n, err := ParseByteSize(s.String()); err == nil {
				return n, nil
			}
		}
		return nil, cannot(paramTypeName(p))
	case KindEnum:
		s := strings.TrimSpace(object.ToString(v))
		for _, name := range p.Values {
			if strings.EqualFold(name, s) {
				return name, nil
			}
		}
		return nil, bindError(info, "CannotConvertArgumentNoMessage", "", fmt.Sprintf(
			"Cannot bind parameter '%s'. Cannot convert value \"%s\" to type \"%s\". Error: \"Unable to match the identifier name %s to a valid enumerator name. Specify one of the following enumerator names and try again:\n%s\"",
			p.Name, s, paramTypeName(p), s, strings.Join(p.Values, ", ")))
	case KindScriptBlock:
		if sb, ok := v.(*ScriptBlock); ok {
			return sb, nil
		}
		return nil, cannot("System.Management.Automation.ScriptBlock")
	case KindHashtable:
		switch x := v.(type) {
		case *object.Hashtable:
			return x, nil
		case *object.PSObject:
			c, _ := object.Convert(x, "hashtable")
			return c, nil
		}
		return nil, cannot("System.Collections.Hashtable")
	case KindSecureString:
		if s, ok := v.(*SecureString); ok {
			return s, nil
		}
		return nil, cannot("System.Security.SecureString")
	case KindCredential:
		switch x := v.(type) {
		case *Credential:
			return x, nil
		case *object.PSObject:
			if c, ok := x.Base.(*Credential); ok {
				return c, nil
			}
		}
		return nil, cannot("System.Management.Automation.PSCredential")
	}
	return v, nil
}
