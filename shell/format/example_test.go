package format_test

import (
	"os"

	"exsh/shell/format"
	"exsh/shell/object"
)

// A package registers the default table view of its objects; Out-Default
// then shows them as the Exchange Management Shell does.
func ExampleRegister() {
	format.Register("Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain", format.View{
		Table: []format.Column{{Property: "Name"}, {Property: "DomainName"}, {Property: "DomainType"}, {Property: "Default"}},
	})
	d := object.New("Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain")
	d.Add("Name", "contoso.com").Add("DomainName", "contoso.com").Add("DomainType", "Authoritative").Add("Default", true)
	d.Add("Guid", "8b1c0a5e-0000-0000-0000-000000000000")

	out := format.NewOutput(os.Stdout, 120)
	_ = out.Write(d)
	_ = out.Close()
	// Output:
	//
	// Name        DomainName  DomainType    Default
	// ----        ----------  ----------    -------
	// contoso.com contoso.com Authoritative True
}

// Multivalued properties show as {a, b}, cut after $FormatEnumerationLimit.
func ExampleValue() {
	println := func(s string) { os.Stdout.WriteString(s + "\n") }
	println(format.Value([]any{"SMTP:admin@contoso.com", "smtp:a@contoso.com"}, format.DefaultEnumerationLimit))
	println(format.Value([]any{1, 2, 3, 4, 5, 6}, format.DefaultEnumerationLimit))
	println(format.Value([]any{}, format.DefaultEnumerationLimit))
	println(format.FormatByteSize(37748736))
	// Output:
	// {SMTP:admin@contoso.com, smtp:a@contoso.com}
	// {1, 2, 3, 4...}
	// {}
	// 36 MB (37,748,736 bytes)
}
