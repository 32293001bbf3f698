package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// options is the parsed command line (SPEC section 1).
type options struct {
	command    string // -Command text; "-" means read the script from stdin
	hasCommand bool
	file       string // -File path; "-" means stdin
	hasFile    bool
	args       []string // $args for -File

	serve         bool
	dataPath      string
	portOffset    int
	hasPortOffset bool
	listenAll     bool
	noWeb         bool
	serverName    string
	domain        string
	ipAddress     netip.Addr // -IPAddress: this server's own address in an organisation of several
	join          string     // -Join: a member of the organisation to join

	noLogo         bool
	nonInteractive bool
	version        bool
	help           bool
}

// usageError is a command-line error: printed with the usage text, exit 64
// (pwsh's status for bad arguments).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const exitUsage = 64

// flagDef is one command-line parameter. Like pwsh, exsh accepts any
// unambiguous prefix of a name, case-insensitively, plus the listed
// aliases.
type flagDef struct {
	name    string
	aliases []string
	value   bool // takes a value
}

var flagDefs = []flagDef{
	{name: "Command", aliases: []string{"c"}, value: true},
	{name: "File", aliases: []string{"f"}, value: true},
	{name: "Serve"},
	{name: "DataPath", value: true},
	{name: "PortOffset", value: true},
	{name: "ListenAll"},
	{name: "NoWeb"},
	{name: "ServerName", value: true},
	{name: "Domain", value: true},
	{name: "IPAddress", value: true},
	{name: "Join", value: true},
	{name: "NoLogo", aliases: []string{"nol"}},
	{name: "NonInteractive", aliases: []string{"noni"}},
	{name: "Version", aliases: []string{"v"}},
	{name: "Help", aliases: []string{"h", "?"}},
}

// lookupFlag resolves a flag spelling to its definition.
func lookupFlag(spelled string) (*flagDef, error) {
	for i := range flagDefs {
		d := &flagDefs[i]
		if strings.EqualFold(d.name, spelled) {
			return d, nil
		}
		for _, a := range d.aliases {
			if strings.EqualFold(a, spelled) {
				return d, nil
			}
		}
	}
	var found []*flagDef
	for i := range flagDefs {
		d := &flagDefs[i]
		if len(spelled) <= len(d.name) && strings.EqualFold(d.name[:len(spelled)], spelled) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, nil
	}
	names := make([]string, len(found))
	for i, d := range found {
		names[i] = "-" + d.name
	}
	return nil, &usageError{fmt.Sprintf("The parameter '-%s' is ambiguous: it could be %s.", spelled, strings.Join(names, ", "))}
}

// parseArgs parses the command line the way pwsh does: single-dash,
// case-insensitive parameter names; -Command takes every remaining
// argument as the script text; -File (or the first argument that is not a
// parameter) takes the script path and passes what follows as $args.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if len(arg) < 2 || (arg[0] != '-' && arg[0] != '/') || (arg[0] == '/' && arg != "/?") {
			// The first bare argument is the script file (pwsh's default
			// is -File).
			o.file, o.hasFile = arg, true
			o.args = append([]string(nil), args[i+1:]...)
			return o, o.check()
		}
		spelled := strings.TrimLeft(arg, "-/")
		var inline *string
		if name, val, ok := strings.Cut(spelled, ":"); ok {
			spelled, inline = name, &val
		}
		def, err := lookupFlag(spelled)
		if err != nil {
			return nil, err
		}
		if def == nil {
			return nil, &usageError{fmt.Sprintf("The argument '%s' is not recognized as the name of a script file. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.", arg)}
		}
		value := func() (string, error) {
			if inline != nil {
				return *inline, nil
			}
			if i+1 >= len(args) {
				return "", &usageError{fmt.Sprintf("Missing the argument for the parameter -%s.", def.name)}
			}
			i++
			return args[i], nil
		}
		switch def.name {
		case "Command":
			if o.hasFile {
				return nil, &usageError{"Cannot use -Command together with -File."}
			}
			rest := args[i+1:]
			if inline != nil {
				rest = append([]string{*inline}, rest...)
			}
			if len(rest) == 0 {
				return nil, &usageError{"Cannot process the command because of a missing parameter. A command must follow -Command."}
			}
			o.command, o.hasCommand = strings.Join(rest, " "), true
			return o, o.check()
		case "File":
			if o.hasCommand {
				return nil, &usageError{"Cannot use -File together with -Command."}
			}
			v, err := value()
			if err != nil {
				return nil, &usageError{"The argument for the -File parameter is missing. Specify the path of a script file."}
			}
			o.file, o.hasFile = v, true
			o.args = append([]string(nil), args[i+1:]...)
			return o, o.check()
		case "Serve":
			o.serve = true
		case "DataPath":
			v, err := value()
			if err != nil {
				return nil, err
			}
			if v == "" {
				return nil, &usageError{"The argument for the -DataPath parameter is empty."}
			}
			o.dataPath = v
		case "PortOffset":
			v, err := value()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return nil, &usageError{fmt.Sprintf("Cannot process the argument '%s' for -PortOffset: a number from 0 to 65535 is required.", v)}
			}
			o.portOffset, o.hasPortOffset = n, true
		case "ListenAll":
			o.listenAll = true
		case "NoWeb":
			o.noWeb = true
		case "ServerName":
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.serverName = v
		case "Domain":
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.domain = v
		case "IPAddress":
			v, err := value()
			if err != nil {
				return nil, err
			}
			a, err := netip.ParseAddr(v)
			if err != nil || a.IsUnspecified() || a.IsMulticast() || a.Zone() != "" {
				return nil, &usageError{fmt.Sprintf("Cannot process the argument '%s' for -IPAddress: an IPv4 or IPv6 address of this computer is required.", v)}
			}
			o.ipAddress = a.Unmap()
		case "Join":
			v, err := value()
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "/ ") {
				return nil, &usageError{fmt.Sprintf("Cannot process the argument '%s' for -Join: a member's address or name, with or without a port, is required.", v)}
			}
			o.join = v
		case "NoLogo":
			o.noLogo = true
		case "NonInteractive":
			o.nonInteractive = true
		case "Version":
			o.version = true
		case "Help":
			o.help = true
		}
	}
	return o, o.check()
}

// check rejects combinations that make no sense.
func (o *options) check() error {
	if o.serve && (o.hasCommand || o.hasFile) {
		return &usageError{"Cannot use -Serve together with -Command or -File."}
	}
	if o.join != "" && !o.ipAddress.IsValid() {
		return &usageError{"Cannot use -Join without -IPAddress: a server joining an organisation needs its own address."}
	}
	return nil
}

const usageText = `Usage: exsh [-Command <script> | -Command - | [-File] <file.ps1> [args...] | -Serve]
            [-DataPath <dir>] [-PortOffset <n>] [-ListenAll] [-NoWeb]
            [-ServerName <name>] [-Domain <domain>]
            [-IPAddress <address> [-Join <member>]]
            [-NoLogo] [-NonInteractive] [-Version] [-Help]

exsh is an Exchange Server 2019 transport lab: an Exchange Management Shell
over an organisation stored on disk, driving an in-process SMTP transport.
Parameter names are case-insensitive and may be shortened.

  -Command, -c <script>  Run the script text (all remaining arguments,
                         joined by blanks) and exit. "-Command -" reads
                         the script from standard input.
  -File, -f <file.ps1>   Run a script file and exit; arguments after the
                         path are the script's $args.
  -Serve                 Run the transport engine in the foreground until
                         SIGINT or SIGTERM, accepting management sessions
                         from other exsh processes on the same data path.
  -DataPath <dir>        Where the organisation, queues, mailboxes and logs
                         live. Default: $EXSH_DATA, else $XDG_DATA_HOME/exsh,
                         else ~/.local/share/exsh.
  -PortOffset <n>        Added to every port exsh listens on. Default:
                         $EXSH_PORTOFFSET, else 0 when the process may bind
                         ports below 1024, else 10000; a server of an
                         organisation keeps the one it was set up with.
  -ListenAll             Listen on all addresses for wildcard bindings;
                         without it 0.0.0.0 and [::] mean loopback only.
  -NoWeb                 Do not serve the Exchange admin center (by default
                         the process that owns the data path serves it at
                         https://127.0.0.1:<443 + offset>/ecp/).
  -ServerName <name>     Server name when the data path is first set up
                         (default EX01).
  -Domain <domain>       Organisation domain when the data path is first
                         set up (default contoso.com).
  -IPAddress <address>   This server's own address in an organisation of
                         several servers: every listener of the server
                         binds it (plus -PortOffset), its etcd member
                         included (clients 2379, peers 2380). The first
                         server founds the organisation (a data path set
                         up alone moves its organisation into it). Without
                         it exsh is a single server.
  -Join <member>         Join the organisation of a running server: its
                         address or name, with or without a port (2379
                         plus -PortOffset when none is given). A data path
                         that has joined remembers it; -Join is then
                         ignored.
  -NoLogo                Do not print the startup banner.
  -NonInteractive        Never prompt; read statements from standard input
                         even on a terminal.
  -Version, -v           Print the version and exit.
  -Help, -h, -?          Print this text and exit.

With no -Command or -File, exsh is an interactive shell when standard input
is a terminal, and otherwise runs the script read from standard input. When
another exsh (-Serve, or an interactive shell) owns the data path, exsh
attaches to it and runs the commands there.

Exit status: 0 on success; 1 when a terminating error stopped the script or
the last pipeline failed; N for "exit N"; 64 for a bad command line.
`
