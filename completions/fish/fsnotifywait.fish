complete -c fsnotifywait -l exclude -d 'Exclude events on files matching the extended regex' -r -f
complete -c fsnotifywait -l excludei -d 'Like --exclude but case insensitive' -r -f
complete -c fsnotifywait -l include -d 'Print only events on files matching the extended regex' -r -f
complete -c fsnotifywait -l includei -d 'Like --include but case insensitive' -r -f
complete -c fsnotifywait -l prune -d 'Never watch directories matching this .gitignore-style glob' -r -f
complete -c fsnotifywait -l prune-from -d 'Read --prune patterns from a file, one per line' -r -F
complete -c fsnotifywait -l fromfile -d 'Read files to watch from <file> or \'-\' for stdin' -r -F
complete -c fsnotifywait -s o -l outfile -d 'Print events to <file> rather than stdout' -r -F
complete -c fsnotifywait -l format -d 'Print using a specified printf-like format string' -r -f
complete -c fsnotifywait -l timefmt -d 'strftime-compatible format for %T in --format' -r -f
complete -c fsnotifywait -l ready-fd -d 'Write a line to this fd once every watch exists' -r -f
complete -c fsnotifywait -s t -l timeout -d 'Exit after this many seconds without an event' -r -f
complete -c fsnotifywait -s e -l event -d 'Listen for specific event(s)' -r -f -a "access\t'file or directory contents were read'
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
complete -c fsnotifywait -s h -l help -d 'Show this help text'
complete -c fsnotifywait -l version -d 'Print the version and exit'
complete -c fsnotifywait -s m -l monitor -d 'Keep listening for events forever'
complete -c fsnotifywait -s d -l daemon -d 'Run in the background, logging events to --outfile'
complete -c fsnotifywait -s P -l no-dereference -d 'Do not follow symlinks'
complete -c fsnotifywait -s r -l recursive -d 'Watch directories recursively'
complete -c fsnotifywait -l no-dir-scan -d 'Do not report what a new directory already holds'
complete -c fsnotifywait -l retry -d 'Wait for missing paths; watch again paths that come back'
complete -c fsnotifywait -s I -l inotify -d 'Watch with inotify'
complete -c fsnotifywait -s F -l fanotify -d 'Watch with fanotify'
complete -c fsnotifywait -s S -l filesystem -d 'Watch entire filesystem with fanotify'
complete -c fsnotifywait -s s -l syslog -d 'Send errors to syslog rather than stderr'
complete -c fsnotifywait -s q -l quiet -d 'Print less (only print events); twice: print nothing'
complete -c fsnotifywait -l no-newline -d 'Don\'t print a newline after --format'
complete -c fsnotifywait -s c -l csv -d 'Print events in CSV format'
complete -c fsnotifywait -l json -d 'Print each event as one JSON object per line'
