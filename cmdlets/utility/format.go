package utility

import (
	"strings"

	"exsh/shell/format"
	"exsh/shell/interp"
)

func formatCmdlets() []*interp.CmdletInfo {
	return []*interp.CmdletInfo{formatTable(), formatList(), formatWide(), outString(), outFile()}
}

// formatCall runs a Formatter over the pipeline: Format-* write format
// records, which Out-Default, Out-String and Out-File render.
func formatCall(kind format.Kind, keys []string) (begin, process, end func(c *interp.Call) error) {
	begin = func(c *interp.Call) error {
		specs, err := parseProps(list(c, "Property"), keys)
		if err != nil {
			return err
		}
		opt := format.Options{
			Kind:             kind,
			Fields:           formatFields(c, specs),
			AutoSize:         c.Bool("AutoSize"),
			Wrap:             c.Bool("Wrap"),
			HideTableHeaders: c.Bool("HideTableHeaders"),
			Columns:          intParam(c, "Column", 0),
			EnumLimit:        enumLimit(c),
		}
		if c.Has("GroupBy") {
			g, err := parseProps([]any{c.Value("GroupBy")}, formatKeys)
			if err != nil {
				return err
			}
			if len(g) > 0 {
				f := formatFields(c, g)[0]
				opt.GroupBy = &f
			}
		}
		c.State = format.NewFormatter(opt)
		return nil
	}
	process = func(c *interp.Call) error {
		v, ok := input(c)
		if !ok {
			return nil
		}
		for _, r := range c.State.(*format.Formatter).Format(v) {
			if err := c.WriteObject(r); err != nil {
				return err
			}
		}
		return nil
	}
	end = func(c *interp.Call) error {
		for _, r := range c.State.(*format.Formatter).Close() {
			if err := c.WriteObject(r); err != nil {
				return err
			}
		}
		return nil
	}
	return begin, process, end
}

func formatTable() *interp.CmdletInfo {
	b, p, e := formatCall(format.Table, formatKeys)
	return &interp.CmdletInfo{
		Name:     "Format-Table",
		Aliases:  []string{"ft"},
		Module:   ModuleUtility,
		Synopsis: "Formats the output as a table.",
		Description: "The Format-Table cmdlet formats the output of a command as a table with the selected properties of the object in each column. " +
			"Without -Property, the object type's default view is used. Calculated properties are hashtables with Label (or Name), Expression, Width and Alignment keys.",
		Params: params(
			inputObject("Specifies the objects to be formatted."),
			param("Property", interp.KindObject, "Specifies the object properties that appear in the display and the order in which they appear. Wildcards are permitted.").at(0).array(),
			param("AutoSize", interp.KindSwitch, "Indicates that the cmdlet adjusts the column size and number of columns based on the width of the data."),
			param("Wrap", interp.KindSwitch, "Displays text that exceeds the column width on the next line."),
			param("GroupBy", interp.KindObject, "Specifies a property (or calculated property) whose changes start a new table under its own header."),
			param("HideTableHeaders", interp.KindSwitch, "Omits the column headings from the table."),
		),
		Examples: []interp.Example{
			{Code: "Get-ReceiveConnector | Format-Table Name, Bindings, RemoteIPRanges -AutoSize", Remarks: "Shows three properties with columns sized to the data."},
			{Code: "Get-Queue | Format-Table Identity, @{Label='Msgs';Expression={$_.MessageCount};Width=6}", Remarks: "Uses a calculated column."},
		},
		OutputType: "Microsoft.PowerShell.Commands.Internal.Format",
		Begin:      b, Process: p, End: e,
	}
}

func formatList() *interp.CmdletInfo {
	b, p, e := formatCall(format.List, formatKeys)
	return &interp.CmdletInfo{
		Name:     "Format-List",
		Aliases:  []string{"fl"},
		Module:   ModuleUtility,
		Synopsis: "Formats the output as a list of properties in which each property appears on a new line.",
		Description: "The Format-List cmdlet formats the output of a command as a list of properties in which each property is displayed on a separate line. " +
			"Use -Property * to display all of the properties of an object.",
		Params: params(
			inputObject("Specifies the objects to be formatted."),
			param("Property", interp.KindObject, "Specifies the object properties that appear in the display and the order in which they appear. Wildcards are permitted; * shows every property.").at(0).array(),
			param("GroupBy", interp.KindObject, "Specifies a property whose changes start a new group."),
		),
		Examples: []interp.Example{
			{Code: `Get-ReceiveConnector "Default Frontend EX01" | Format-List`, Remarks: "Shows every property of a connector."},
			{Code: "Get-Queue | Format-List Identity, Status, LastError", Remarks: "Shows three properties of each queue."},
		},
		OutputType: "Microsoft.PowerShell.Commands.Internal.Format",
		Begin:      b, Process: p, End: e,
	}
}

func formatWide() *interp.CmdletInfo {
	b, p, e := formatCall(format.Wide, formatKeys)
	return &interp.CmdletInfo{
		Name:        "Format-Wide",
		Aliases:     []string{"fw"},
		Module:      ModuleUtility,
		Synopsis:    "Formats objects as a wide table that displays only one property of each object.",
		Description: "The Format-Wide cmdlet formats objects as a wide table that displays only one property of each object: the Name property, or the one given.",
		Params: params(
			inputObject("Specifies the objects to be formatted."),
			param("Property", interp.KindObject, "Specifies the object property that appears in the display.").at(0),
			param("AutoSize", interp.KindSwitch, "Adjusts the column size and number of columns based on the width of the data."),
			param("Column", interp.KindInt, "Specifies the number of columns in the display."),
		),
		Examples: []interp.Example{
			{Code: "Get-ChildItem | Format-Wide -Column 3", Remarks: "Lists file names in three columns."},
		},
		OutputType: "Microsoft.PowerShell.Commands.Internal.Format",
		Begin:      b, Process: p, End: e,
	}
}

// renderText renders objects (or format records) as Out-String does.
func renderText(vs []any, width, limit int) string {
	var b strings.Builder
	p := format.NewPrinter(width, func(l string) error {
		b.WriteString(l)
		b.WriteByte('\n')
		return nil
	})
	p.SetEnumerationLimit(limit)
	for _, v := range vs {
		_ = p.Write(v)
	}
	_ = p.Close()
	return b.String()
}

type outStringState struct {
	p    *format.Printer
	text strings.Builder
}

func outString() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Out-String",
		Aliases:  []string{"oss"},
		Module:   ModuleUtility,
		Synopsis: "Outputs input objects as a string.",
		Description: "The Out-String cmdlet converts input objects into strings, formatted as they would be displayed. " +
			"By default it accumulates the output into one string; -Stream writes one string per line.",
		Params: params(
			inputObject("Specifies the objects to be written to a string."),
			param("Width", interp.KindInt, "Specifies the number of characters in each line of output.").def("the host width, 120 when not a terminal"),
			param("Stream", interp.KindSwitch, "Indicates that the cmdlet sends a separate string for each line of an input object."),
		),
		Examples: []interp.Example{
			{Code: "$text = Get-ReceiveConnector | Format-Table -AutoSize | Out-String", Remarks: "Keeps the table as text."},
			{Code: "Get-Queue | Out-String -Stream | Select-String Retry", Remarks: "Searches the displayed lines."},
		},
		OutputType: "System.String",
		Begin: func(c *interp.Call) error {
			st := &outStringState{}
			stream := c.Bool("Stream")
			st.p = format.NewPrinter(intParam(c, "Width", c.Width), func(l string) error {
				if stream {
					return c.WriteObject(l)
				}
				st.text.WriteString(l)
				st.text.WriteByte('\n')
				return nil
			})
			st.p.SetEnumerationLimit(enumLimit(c))
			c.State = st
			return nil
		},
		Process: func(c *interp.Call) error {
			if v, ok := input(c); ok {
				return c.State.(*outStringState).p.Write(v)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*outStringState)
			if err := st.p.Close(); err != nil {
				return err
			}
			if c.Bool("Stream") {
				return nil
			}
			return c.WriteObject(st.text.String())
		},
	}
}

type outFileState struct{ items []any }

func outFile() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Out-File",
		Module:   ModuleUtility,
		Synopsis: "Sends output to a file.",
		Description: "The Out-File cmdlet sends output to a file, formatted as it would be displayed. " +
			"exsh writes UTF-8 without a byte order mark unless -Encoding says otherwise (Windows PowerShell 5.1 defaults to UTF-16).",
		Params: params(
			param("FilePath", interp.KindString, "Specifies the path to the output file.").at(0).mandatory().alias("Path"),
			inputObject("Specifies the objects to be written to the file."),
			param("Encoding", interp.KindString, "Specifies the type of encoding for the target file: ASCII, UTF8, Unicode, BigEndianUnicode, UTF32, Default, OEM.").at(1).def("UTF8NoBOM"),
			param("Append", interp.KindSwitch, "Adds the output to the end of an existing file."),
			param("Force", interp.KindSwitch, "Overrides the read-only attribute and overwrites an existing read-only file."),
			param("NoClobber", interp.KindSwitch, "Prevents an existing file from being overwritten.").alias("NoOverwrite"),
			param("NoNewline", interp.KindSwitch, "Specifies that the content written to the file does not end with a newline character."),
			param("Width", interp.KindInt, "Specifies the number of characters in each line of output."),
		),
		Examples: []interp.Example{
			{Code: `Get-ReceiveConnector | Format-List | Out-File C:\temp\connectors.txt`, Remarks: "Saves the connector settings to a file."},
		},
		Begin: func(c *interp.Call) error { c.State = &outFileState{}; return nil },
		Process: func(c *interp.Call) error {
			if v, ok := input(c); ok {
				st := c.State.(*outFileState)
				st.items = append(st.items, v)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*outFileState)
			text := renderText(st.items, intParam(c, "Width", c.Width), enumLimit(c))
			if c.Bool("NoNewline") {
				text = strings.ReplaceAll(text, "\n", "")
			}
			return writeTextFile(c, c.String("FilePath"), text, c.String("Encoding"), c.Bool("Append"), c.Bool("NoClobber"))
		},
	}
}
