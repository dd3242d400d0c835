# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rinotify_global_optspecs
    string join \n h/help V/version
end

function __fish_rinotify_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rinotify_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rinotify_using_subcommand
    set -l cmd (__fish_rinotify_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rinotify -n "__fish_rinotify_needs_command" -s h -l help -d 'Print help'
complete -c rinotify -n "__fish_rinotify_needs_command" -s V -l version -d 'Print version'
complete -c rinotify -n "__fish_rinotify_needs_command" -f -a "doctor" -d 'Check inotify limits, usage and filesystems for PATHs (exit 1: something does not fit)'
complete -c rinotify -n "__fish_rinotify_needs_command" -f -a "help" -d 'Print the help of rinotify or of an applet (`help wait` is `wait --help`)'
complete -c rinotify -n "__fish_rinotify_needs_command" -f -a "wait" -d 'wait for changes to files using inotify or fanotify'
complete -c rinotify -n "__fish_rinotify_needs_command" -f -a "watch" -d 'gather filesystem access statistics using inotify or fanotify'
complete -c rinotify -n "__fish_rinotify_using_subcommand doctor" -l json -d 'One line of JSON instead of the text report'
complete -c rinotify -n "__fish_rinotify_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rinotify -n "__fish_rinotify_using_subcommand help" -s h -l help -d 'Print help'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l exclude -d 'Exclude events on files matching the extended regex' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l excludei -d 'Like --exclude but case insensitive' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l include -d 'Print only events on files matching the extended regex' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l includei -d 'Like --include but case insensitive' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l prune -d 'Never watch directories matching this .gitignore-style glob' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l prune-from -d 'Read --prune patterns from a file, one per line' -r -F
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l fromfile -d 'Read files to watch from <file> or \'-\' for stdin' -r -F
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s o -l outfile -d 'Print events to <file> rather than stdout' -r -F
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l format -d 'Print using a specified printf-like format string' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l timefmt -d 'strftime-compatible format for %T in --format' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l ready-fd -d 'Write a line to this fd once every watch exists' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s t -l timeout -d 'Exit after this many seconds without an event' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s e -l event -d 'Listen for specific event(s)' -r -f -a "access\t'file or directory contents were read'
modify\t'file or directory contents were written'
attrib\t'file or directory attributes changed'
close_write\t'file or directory closed, after being opened in writable mode'
close_nowrite\t'file or directory closed, after being opened in read-only mode'
close\t'file or directory closed, regardless of read/write mode'
open\t'file or directory opened'
moved_to\t'file or directory moved to watched directory'
moved_from\t'file or directory moved from watched directory'
move\t'file or directory moved to or from watched directory'
move_self\t'a watched file or directory was moved'
create\t'file or directory created within watched directory'
delete\t'file or directory deleted within watched directory'
delete_self\t'file or directory was deleted'
unmount\t'file system containing file or directory unmounted'"
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s h -l help -d 'Show this help text'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l version -d 'Print the version and exit'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s m -l monitor -d 'Keep listening for events forever'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s d -l daemon -d 'Run in the background, logging events to --outfile'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s P -l no-dereference -d 'Do not follow symlinks'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s r -l recursive -d 'Watch directories recursively'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l no-dir-scan -d 'Do not report what a new directory already holds'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l retry -d 'Wait for missing paths; watch again paths that come back'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s I -l inotify -d 'Watch with inotify'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s F -l fanotify -d 'Watch with fanotify'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s S -l filesystem -d 'Watch entire filesystem with fanotify'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s s -l syslog -d 'Send errors to syslog rather than stderr'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s q -l quiet -d 'Print less (only print events); twice: print nothing'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l no-newline -d 'Don\'t print a newline after --format'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -s c -l csv -d 'Print events in CSV format'
complete -c rinotify -n "__fish_rinotify_using_subcommand wait" -l json -d 'Print each event as one JSON object per line'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l fromfile -d 'Read files to watch from <file> or \'-\' for stdin' -r -F
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l exclude -d 'Exclude events on files matching the extended regex' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l excludei -d 'Like --exclude but case insensitive' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l include -d 'Print only events on files matching the extended regex' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l includei -d 'Like --include but case insensitive' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l prune -d 'Never watch directories matching this .gitignore-style glob' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l prune-from -d 'Read --prune patterns from a file, one per line' -r -F
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s t -l timeout -d 'Listen only for this many seconds' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s e -l event -d 'Listen for specific event(s)' -r -f -a "access\t'file or directory contents were read'
modify\t'file or directory contents were written'
attrib\t'file or directory attributes changed'
close_write\t'file or directory closed, after being opened in writable mode'
close_nowrite\t'file or directory closed, after being opened in read-only mode'
close\t'file or directory closed, regardless of read/write mode'
open\t'file or directory opened'
moved_to\t'file or directory moved to watched directory'
moved_from\t'file or directory moved from watched directory'
move\t'file or directory moved to or from watched directory'
move_self\t'a watched file or directory was moved'
create\t'file or directory created within watched directory'
delete\t'file or directory deleted within watched directory'
delete_self\t'file or directory was deleted'
unmount\t'file system containing file or directory unmounted'"
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s a -l ascending -d 'Sort ascending by a particular event, or \'total\'' -r -f -a "total\t'all events together'
access\t'file or directory contents were read'
modify\t'file or directory contents were written'
attrib\t'file or directory attributes changed'
close_write\t'file or directory closed, after being opened in writable mode'
close_nowrite\t'file or directory closed, after being opened in read-only mode'
open\t'file or directory opened'
moved_to\t'file or directory moved to watched directory'
moved_from\t'file or directory moved from watched directory'
move_self\t'a watched file or directory was moved'
create\t'file or directory created within watched directory'
delete\t'file or directory deleted within watched directory'
delete_self\t'file or directory was deleted'
unmount\t'file system containing file or directory unmounted'"
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s d -l descending -d 'Sort descending by a particular event, or \'total\'' -r -f -a "total\t'all events together'
access\t'file or directory contents were read'
modify\t'file or directory contents were written'
attrib\t'file or directory attributes changed'
close_write\t'file or directory closed, after being opened in writable mode'
close_nowrite\t'file or directory closed, after being opened in read-only mode'
open\t'file or directory opened'
moved_to\t'file or directory moved to watched directory'
moved_from\t'file or directory moved from watched directory'
move_self\t'a watched file or directory was moved'
create\t'file or directory created within watched directory'
delete\t'file or directory deleted within watched directory'
delete_self\t'file or directory was deleted'
unmount\t'file system containing file or directory unmounted'"
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l ready-fd -d 'Write a line to this fd once every watch exists' -r -f
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s h -l help -d 'Show this help text'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l version -d 'Print the version and exit'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s v -l verbose -d 'Be verbose'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s z -l zero -d 'Output rows and columns even if they consist only of zeros'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s r -l recursive -d 'Watch directories recursively'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l no-dir-scan -d 'Do not report what a new directory already holds'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l retry -d 'Wait for missing paths; watch again paths that come back'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s I -l inotify -d 'Watch with inotify'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s F -l fanotify -d 'Watch with fanotify'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s S -l filesystem -d 'Watch entire filesystem with fanotify'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -s P -l no-dereference -d 'Do not follow symlinks'
complete -c rinotify -n "__fish_rinotify_using_subcommand watch" -l json -d 'Print the table as one JSON document'
