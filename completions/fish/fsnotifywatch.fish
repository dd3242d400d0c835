complete -c fsnotifywatch -l fromfile -d 'Read files to watch from <file> or \'-\' for stdin' -r -F
complete -c fsnotifywatch -l exclude -d 'Exclude events on files matching the extended regex' -r -f
complete -c fsnotifywatch -l excludei -d 'Like --exclude but case insensitive' -r -f
complete -c fsnotifywatch -l include -d 'Print only events on files matching the extended regex' -r -f
complete -c fsnotifywatch -l includei -d 'Like --include but case insensitive' -r -f
complete -c fsnotifywatch -l prune -d 'Never watch directories matching this .gitignore-style glob' -r -f
complete -c fsnotifywatch -l prune-from -d 'Read --prune patterns from a file, one per line' -r -F
complete -c fsnotifywatch -s t -l timeout -d 'Listen only for this many seconds' -r -f
complete -c fsnotifywatch -s e -l event -d 'Listen for specific event(s)' -r -f -a "access\t'file or directory contents were read'
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
complete -c fsnotifywatch -s a -l ascending -d 'Sort ascending by a particular event, or \'total\'' -r -f -a "total\t'all events together'
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
complete -c fsnotifywatch -s d -l descending -d 'Sort descending by a particular event, or \'total\'' -r -f -a "total\t'all events together'
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
complete -c fsnotifywatch -l ready-fd -d 'Write a line to this fd once every watch exists' -r -f
complete -c fsnotifywatch -s h -l help -d 'Show this help text'
complete -c fsnotifywatch -l version -d 'Print the version and exit'
complete -c fsnotifywatch -s v -l verbose -d 'Be verbose'
complete -c fsnotifywatch -s z -l zero -d 'Output rows and columns even if they consist only of zeros'
complete -c fsnotifywatch -s r -l recursive -d 'Watch directories recursively'
complete -c fsnotifywatch -l no-dir-scan -d 'Do not report what a new directory already holds'
complete -c fsnotifywatch -l retry -d 'Wait for missing paths; watch again paths that come back'
complete -c fsnotifywatch -s I -l inotify -d 'Watch with inotify'
complete -c fsnotifywatch -s F -l fanotify -d 'Watch with fanotify'
complete -c fsnotifywatch -s S -l filesystem -d 'Watch entire filesystem with fanotify'
complete -c fsnotifywatch -s P -l no-dereference -d 'Do not follow symlinks'
complete -c fsnotifywatch -l json -d 'Print the table as one JSON document'
