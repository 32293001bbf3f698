package utility

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

func dataCmdlets() []*interp.CmdletInfo {
	return []*interp.CmdletInfo{exportCsv(), importCsv(), convertToCsv(), convertFromCsv(), convertToJSON(), convertFromJSON()}
}

func delimiter(c *interp.Call) (rune, error) {
	if !c.Has("Delimiter") {
		return ',', nil
	}
	d := []rune(object.ToString(c.Value("Delimiter")))
	if len(d) != 1 {
		return 0, interp.NewError("InvalidArgument", "ParameterBindingException", "CannotConvertArgumentNoMessage", string(d),
			"Cannot bind parameter 'Delimiter'. Cannot convert value %q to type \"System.Char\". Error: \"String must be exactly one character long.\"", string(d))
	}
	return d[0], nil
}

// csvWriter turns objects into CSV lines as Windows PowerShell 5.1's
// ConvertTo-Csv does: an optional "#TYPE" line, a header from the first
// object's properties, every field quoted, and values as their strings
// (collections as their type name, which is what 5.1 writes).
type csvWriter struct {
	delim    rune
	typeInfo bool
	header   []string
	started  bool
}

func (w *csvWriter) lines(v any) []string {
	var out []string
	if !w.started {
		w.started = true
		if w.typeInfo {
			out = append(out, "#TYPE "+typeNamesOf(v)[0])
		}
		w.header = format.PropertyNames(v)
		out = append(out, w.join(w.header))
	}
	row := make([]string, len(w.header))
	for i, n := range w.header {
		if s, ok := hashtableField(v, n); ok {
			row[i] = s
			continue
		}
		val, _ := format.Member(v, n)
		row[i] = csvValue(val)
	}
	return append(out, w.join(row))
}

// hashtableField is what 5.1 writes for a property of a Hashtable: its
// CLR properties, not its keys, with each value's ToString (the key and
// value collections show their type names).
func hashtableField(v any, name string) (string, bool) {
	h, ok := v.(*object.Hashtable)
	if !ok || h.Ordered {
		return "", false
	}
	switch strings.ToLower(name) {
	case "isreadonly", "isfixedsize", "issynchronized":
		return "False", true
	case "keys":
		return "System.Collections.Hashtable+KeyCollection", true
	case "values":
		return "System.Collections.Hashtable+ValueCollection", true
	case "syncroot":
		return "System.Object", true
	case "count":
		return itoa(h.Len()), true
	}
	return "", false
}

func csvValue(v any) string {
	if v == nil {
		return ""
	}
	if object.IsArray(v) {
		return object.TypeName(v)
	}
	if _, ok := v.(*object.Hashtable); ok {
		return "System.Collections.Hashtable"
	}
	return object.ToString(v)
}

func (w *csvWriter) join(fields []string) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteRune(w.delim)
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(f, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}

type exportState struct {
	w     *csvWriter
	lines []string
}

func exportCsv() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Export-Csv",
		Aliases:  []string{"epcsv"},
		Module:   ModuleUtility,
		Synopsis: "Converts objects into a series of comma-separated value (CSV) strings and saves the strings to a file.",
		Description: "The Export-Csv cmdlet creates a CSV file of the objects that you submit: one row per object, with the first object's properties as columns. " +
			"As in Windows PowerShell 5.1, the first line is \"#TYPE <type name>\" unless -NoTypeInformation is given, and multivalued properties are written as their type name (join them first with -join).",
		Params: params(
			inputObject("Specifies the objects to export as CSV strings."),
			param("Path", interp.KindString, "Specifies the path to the CSV output file.").at(0).mandatory().alias("FilePath"),
			param("Delimiter", interp.KindString, "Specifies a delimiter to separate the property values. The default is a comma.").at(1),
			param("NoTypeInformation", interp.KindSwitch, "Omits the #TYPE information header from the CSV output.").alias("NTI"),
			param("Append", interp.KindSwitch, "Adds the CSV output to the end of the specified file (without a new header)."),
			param("Encoding", interp.KindString, "Specifies the encoding for the exported CSV file."),
			param("Force", interp.KindSwitch, "Overwrites a read-only file."),
			param("NoClobber", interp.KindSwitch, "Do not overwrite an existing file.").alias("NoOverwrite"),
		),
		Examples: []interp.Example{
			{Code: `Get-Mailbox | Select-Object Name, PrimarySmtpAddress | Export-Csv C:\temp\mailboxes.csv -NoTypeInformation`, Remarks: "Saves two properties of every mailbox."},
		},
		Begin: func(c *interp.Call) error {
			d, err := delimiter(c)
			if err != nil {
				return err
			}
			w := &csvWriter{delim: d, typeInfo: !c.Bool("NoTypeInformation")}
			if c.Bool("Append") {
				// Appending to a file that has a header: reuse its columns.
				if text, err := readText(resolve(c, c.String("Path"))); err == nil && strings.TrimSpace(text) != "" {
					for _, l := range splitLines(text) {
						if strings.HasPrefix(l, "#") {
							continue
						}
						r := csv.NewReader(strings.NewReader(l))
						r.Comma, r.LazyQuotes = d, true
						if rec, err := r.Read(); err == nil {
							w.header, w.started = rec, true
						}
						break
					}
				}
			}
			c.State = &exportState{w: w}
			return nil
		},
		Process: func(c *interp.Call) error {
			if v, ok := input(c); ok && v != nil {
				st := c.State.(*exportState)
				st.lines = append(st.lines, st.w.lines(v)...)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*exportState)
			text := ""
			if len(st.lines) > 0 {
				text = strings.Join(st.lines, "\n") + "\n"
			}
			return writeTextFile(c, c.String("Path"), text, c.String("Encoding"), c.Bool("Append"), c.Bool("NoClobber"))
		},
	}
}

func convertToCsv() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "ConvertTo-Csv",
		Module:   ModuleUtility,
		Synopsis: "Converts objects into a series of comma-separated value (CSV) strings.",
		Description: "The ConvertTo-Csv cmdlet returns CSV strings for the objects that you submit, as Export-Csv writes them to a file: " +
			"a \"#TYPE\" line unless -NoTypeInformation, a header line, then one line per object.",
		Params: params(
			inputObject("Specifies the objects that are converted to CSV strings.").at(0),
			param("Delimiter", interp.KindString, "Specifies the delimiter to separate the property values. The default is a comma.").at(1),
			param("NoTypeInformation", interp.KindSwitch, "Omits the #TYPE information header from the output.").alias("NTI"),
		),
		Examples: []interp.Example{
			{Code: "Get-AcceptedDomain | Select-Object Name, DomainType | ConvertTo-Csv -NoTypeInformation", Remarks: "Shows the domains as CSV text."},
		},
		OutputType: "System.String",
		Begin: func(c *interp.Call) error {
			d, err := delimiter(c)
			if err != nil {
				return err
			}
			c.State = &csvWriter{delim: d, typeInfo: !c.Bool("NoTypeInformation")}
			return nil
		},
		Process: func(c *interp.Call) error {
			v, ok := input(c)
			if !ok || v == nil {
				return nil
			}
			for _, item := range object.ToList(v) {
				for _, l := range c.State.(*csvWriter).lines(item) {
					if err := c.WriteObject(l); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

// csvObjects parses CSV text into objects as Import-Csv does: a first line
// "#TYPE name" sets the objects' type name ("CSV:name"), the header is the
// first record (or -Header), missing fields are $null and blank lines are
// skipped. Other lines starting with "#" are data, as in Windows
// PowerShell 5.1.
func csvObjects(text string, delim rune, header []string) ([]any, error) {
	typeNames := []string{"System.Management.Automation.PSCustomObject", "System.Object"}
	if strings.HasPrefix(text, "#TYPE ") {
		line, rest, _ := strings.Cut(text, "\n")
		name := strings.TrimSpace(strings.TrimPrefix(line, "#TYPE "))
		typeNames = append([]string{"CSV:" + name, name}, typeNames...)
		text = rest
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = delim
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	var out []any
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, interp.NewError("InvalidData", "InvalidOperationException", "CsvParseError", "", "%s", err.Error())
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if header == nil {
			header = rec
			seen := map[string]bool{}
			for i, h := range header {
				if h == "" {
					header[i] = "H" + itoa(i+1)
				}
				k := strings.ToLower(header[i])
				if seen[k] {
					return nil, interp.NewError("InvalidData", "ExtendedTypeSystemException", "AlreadyPresentPSMemberInfoInternalCollectionAdd", header[i],
						"The member %q is already present.", header[i])
				}
				seen[k] = true
			}
			continue
		}
		o := object.New(typeNames...)
		for i, h := range header {
			if i < len(rec) {
				o.Add(h, rec[i])
			} else {
				o.Add(h, nil)
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func itoa(n int) string { return object.ToString(n) }

func importCsv() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Import-Csv",
		Aliases:  []string{"ipcsv"},
		Module:   ModuleUtility,
		Synopsis: "Creates table-like custom objects from the items in a CSV file.",
		Description: "The Import-Csv cmdlet creates objects from a CSV file: the first line (after an optional #TYPE line) names the properties, unless -Header gives them. " +
			"As in Windows PowerShell 5.1, other lines starting with # are data: for Exchange protocol and tracking logs use " +
			"Get-Content <log> | Select-Object -Skip 5 | ConvertFrom-Csv -Header <fields>.",
		Params: params(
			param("Path", interp.KindString, "Specifies the path to the CSV file to import. Wildcards are permitted.").at(0).array().byName(),
			param("LiteralPath", interp.KindString, "Specifies the path to the CSV file, used exactly as typed.").array().byName().alias("PSPath"),
			param("Delimiter", interp.KindString, "Specifies the delimiter that separates the property values in the CSV file. The default is a comma.").at(1),
			param("Header", interp.KindString, "Specifies an alternate column header row; the file's first line is then data.").array(),
			param("Encoding", interp.KindString, "Specifies the encoding of the file (byte order marks are detected)."),
		),
		Examples: []interp.Example{
			{Code: `Import-Csv C:\temp\mailboxes.csv | ForEach-Object { New-Mailbox -Name $_.Name -Password $pw }`, Remarks: "Creates a mailbox per row."},
		},
		OutputType: "System.Management.Automation.PSCustomObject",
		Process: func(c *interp.Call) error {
			d, err := delimiter(c)
			if err != nil {
				return err
			}
			paths, literal := pathArgs(c, "")
			for _, p := range paths {
				files, wild := expandPath(c, p, literal)
				if len(files) == 0 && !wild {
					c.WriteError(pathNotFound(resolve(c, p), "ImportCsvCommand"))
				}
				for _, f := range files {
					text, err := readText(f)
					if err != nil {
						c.WriteError(fileError(err, f))
						continue
					}
					objs, err := csvObjects(text, d, headerParam(c))
					if err := writeAll(c, objs); err != nil {
						return err
					}
					if err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

func headerParam(c *interp.Call) []string {
	if !c.Has("Header") {
		return nil
	}
	var out []string
	for _, h := range strs(c, "Header") {
		// -Header "a,b" given as one string is split, as admins often write it.
		for _, part := range strings.Split(h, ",") {
			out = append(out, strings.TrimSpace(part))
		}
	}
	return out
}

type fromCsvState struct{ lines []string }

func convertFromCsv() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "ConvertFrom-Csv",
		Module:   ModuleUtility,
		Synopsis: "Converts object properties in comma-separated value (CSV) format into CSV versions of the original objects.",
		Description: "The ConvertFrom-Csv cmdlet creates objects from CSV strings, one line per input string. " +
			"With -Header the first line is data. This is how Exchange logs are read: skip the # header lines, then name the fields.",
		Params: params(
			param("InputObject", interp.KindString, "Specifies the CSV strings to be converted to objects.").at(0).array().mandatory().pipe(),
			param("Delimiter", interp.KindString, "Specifies the delimiter that separates the property values. The default is a comma.").at(1),
			param("Header", interp.KindString, "Specifies an alternate column header row.").array(),
		),
		Examples: []interp.Example{
			{
				Code:    `Get-Content RECV2026112709-1.LOG | Select-Object -Skip 5 | ConvertFrom-Csv -Header date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context | Where-Object { $_.'remote-endpoint' -like '127.0.0.56:*' }`,
				Remarks: "Reads a receive protocol log and finds one device's sessions.",
			},
		},
		OutputType: "System.Management.Automation.PSCustomObject",
		Begin:      func(c *interp.Call) error { c.State = &fromCsvState{}; return nil },
		Process: func(c *interp.Call) error {
			st := c.State.(*fromCsvState)
			if c.HasInput {
				for _, v := range object.ToList(c.Input) {
					st.lines = append(st.lines, object.ToString(v))
				}
				return nil
			}
			st.lines = append(st.lines, strs(c, "InputObject")...)
			return nil
		},
		End: func(c *interp.Call) error {
			d, err := delimiter(c)
			if err != nil {
				return err
			}
			st := c.State.(*fromCsvState)
			objs, perr := csvObjects(strings.Join(st.lines, "\n"), d, headerParam(c))
			if err := writeAll(c, objs); err != nil {
				return err
			}
			return perr
		},
	}
}
