package org.pilotflow.model.wire;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One data staging directive (RADICAL-Pilot's {@code {source, target, action, flags}}): copy, link or move a file or
 * directory before a unit runs (input staging), after it ran (output staging), or once when its pilot starts (pilot
 * input staging). Locations are {@link Location}s: {@code scheme:///relative/path}.
 *
 * <p>RADICAL-Pilot's string shorthand ({@link #parse}): {@code "a > b"} stages {@code a} to {@code b};
 * {@code "b < a"} is the same; {@code ">>"} and {@code "<<"} are read as {@code ">"} and {@code "<"} (RP ignores
 * append too); {@code "a"} alone stages {@code a} to a file of the same name. A path without a scheme is relative
 * to where RP puts it: for input staging the source is on the client ({@code client://}) and the target in the
 * unit sandbox ({@code unit://}); for output staging the source is in the unit sandbox and the target on the client;
 * for pilot input staging the target is in the pilot sandbox ({@code pilot://}). The default action is
 * {@link Action#TRANSFER} and the default flags are {@code CREATE_PARENTS}, as in RP.
 *
 * <p>The agent carries out COPY, LINK, MOVE and TARBALL, and TRANSFER when both ends are on the resource (the same
 * bytes land at the target; RP's client-side stager would copy them through the resource's file system the same
 * way). A TRANSFER from or to {@code client://} is carried out by the engine (see {@link #onClient()}): for input
 * staging before the agent gets the unit, for output staging after the agent is done with it, for a pilot's staging
 * during its launch, before its agent starts. A TARBALL from or to {@code client://} is the engine's too: the
 * source side packs, the one archive moves as a TRANSFER's file does, the target side unpacks
 * ({@code org.pilotflow.model.archive.TarballTool} on the resource, with the agent jar already there).
 *
 * <p>TARBALL (RP's bulk staging) stages a file or a directory (with everything in it: no RECURSIVE needed) as one
 * archive: the source side packs it into a tar, one file moves, the target side unpacks it, and the target ends up
 * as a RECURSIVE COPY would make it, except that a symbolic link in the tree that leads out of it is refused (a copy
 * keeps it). On the resource alone the agent packs and unpacks (the archive is a temporary file beside the target,
 * removed afterwards; see {@code org.pilotflow.model.archive.Tarball}). {@code size} and {@code checksum} are a
 * file's, checked on the unpacked file before it replaces the target; on a directory source they are refused.
 *
 * @param source the file or directory staged, as given or normalized ({@link #resolved})
 * @param target where it goes; a target ending in {@code /} (or a scheme alone) gets the source's file name
 * @param action what is done; {@link Action#TRANSFER} when null
 * @param flags  {@code CREATE_PARENTS} when null; an empty set for none
 * @param size     the source file's size in bytes, checked before the target is put in place (PanDA's
 *                 {@code filesize}); null for unchecked; a directory source (COPY, MOVE, TARBALL) takes none
 * @param checksum the source file's checksum as PanDA writes it, {@code adler32:<8 hex digits>} or
 *                 {@code md5:<32 hex digits>}, checked the same way; null for unchecked
 */
public record StagingDirective(String source, String target, Action action, Set<Flag> flags, Long size,
                               String checksum) {

    /** What a directive does. */
    public enum Action {
        /** A copy of the source (a directory needs {@link Flag#RECURSIVE}). */
        COPY,
        /** A symbolic link to the source's real path (RP's docs say symlink). */
        LINK,
        /** The source renamed to the target (copied and removed across file systems). */
        MOVE,
        /** Between the client and the resource (on the resource alone: a copy). */
        TRANSFER,
        /** RP's bulk staging: a file or a whole directory packed into one archive, moved, and unpacked. */
        TARBALL
    }

    /** How a directive is done. */
    public enum Flag {
        /** Create the target's missing parent directories. */
        CREATE_PARENTS,
        /** Copy a directory with everything in it. */
        RECURSIVE,
        /** A failure does not fail the unit (or pilot): it is recorded as a warning and staging goes on. */
        NON_FATAL
    }

    /** Which list a directive is in: it decides where a path without a scheme is and which schemes may appear. */
    public enum Direction {
        INPUT(Scheme.CLIENT, Scheme.UNIT),
        OUTPUT(Scheme.UNIT, Scheme.CLIENT),
        PILOT_INPUT(Scheme.CLIENT, Scheme.PILOT);

        private final Scheme relativeSource;
        private final Scheme relativeTarget;

        Direction(Scheme relativeSource, Scheme relativeTarget) {
            this.relativeSource = relativeSource;
            this.relativeTarget = relativeTarget;
        }
    }

    /**
     * Where a location is. {@code resource://} is the base under which PilotFlow makes session sandboxes (a pilot's
     * sandbox is {@code <resource>/<session id>/<pilot id>}), {@code session://} the session's directory there,
     * {@code pilot://} the pilot sandbox, {@code unit://} the unit sandbox (RP 1.6+ calls it {@code task://}, also
     * accepted), {@code client://} the working directory of the application (engine) side.
     */
    public enum Scheme {
        CLIENT, RESOURCE, SESSION, PILOT, UNIT;

        public String prefix() {
            return name().toLowerCase(Locale.ROOT) + "://";
        }

        /** On the resource, where the agent can reach it. */
        public boolean onResource() {
            return this != CLIENT;
        }
    }

    /** A location: a scheme and a relative path of plain names ({@code ""} for the scheme's directory itself). */
    public record Location(Scheme scheme, String path) {
        @Override
        public String toString() {
            return scheme.prefix() + "/" + path;
        }

        /** The last name of the path ({@code ""} for a scheme's directory). */
        public String fileName() {
            int slash = path.lastIndexOf('/');
            return slash < 0 ? path : path.substring(slash + 1);
        }
    }

    /** The schemes as users write them. */
    public static final String SCHEMES = "client://, resource://, session://, pilot://, unit:// (or task://)";

    /** The longest location text accepted (a path on a file system, with its scheme). */
    public static final int MAX_CHARS = 4096;

    public StagingDirective {
        action = action == null ? Action.TRANSFER : action;
        flags = flags == null ? Set.of(Flag.CREATE_PARENTS) : Set.copyOf(flags);
        checksum = checksum == null ? null : checksum.strip().toLowerCase(Locale.ROOT);
    }

    /** A directive without size or checksum. */
    public StagingDirective(String source, String target, Action action, Set<Flag> flags) {
        this(source, target, action, flags, null, null);
    }

    /** The same directive, checked against this size and checksum ({@code adler32:...} or {@code md5:...}). */
    public StagingDirective verified(Long bytes, String sum) {
        return new StagingDirective(source, target, action, flags, bytes, sum);
    }

    /** A directive with RP's default flags ({@code CREATE_PARENTS}). */
    public StagingDirective(String source, String target, Action action) {
        this(source, target, action, null);
    }

    /** A COPY of {@code source} to {@code target}, creating parents. */
    public static StagingDirective copy(String source, String target) {
        return new StagingDirective(source, target, Action.COPY);
    }

    /** A LINK of {@code target} to {@code source}, creating parents. */
    public static StagingDirective link(String source, String target) {
        return new StagingDirective(source, target, Action.LINK);
    }

    /** A MOVE of {@code source} to {@code target}, creating parents. */
    public static StagingDirective move(String source, String target) {
        return new StagingDirective(source, target, Action.MOVE);
    }

    /** The same directive with other flags. */
    public StagingDirective withFlags(Flag... newFlags) {
        return new StagingDirective(source, target, action, newFlags.length == 0 ? Set.of() : EnumSet.of(newFlags[0],
                newFlags), size, checksum);
    }

    public boolean has(Flag flag) {
        return flags.contains(flag);
    }

    /**
     * RP's string shorthand (see the class comment): {@code "a > b"}, {@code "b < a"}, {@code "a"}, with the default
     * action (TRANSFER) and flags (CREATE_PARENTS).
     *
     * @throws Invalid naming {@code field} when the text is empty or has an empty side
     */
    public static StagingDirective parse(String field, String text) {
        if (text == null || text.isBlank()) {
            throw new Invalid(field, text, "a staging directive such as 'input.dat', 'a.dat > b.dat' or "
                    + "'b.dat < a.dat'");
        }
        String src;
        String tgt;
        int i;
        if ((i = text.indexOf(">>")) >= 0) {
            src = text.substring(0, i);
            tgt = text.substring(i + 2);
        } else if ((i = text.indexOf('>')) >= 0) {
            src = text.substring(0, i);
            tgt = text.substring(i + 1);
        } else if ((i = text.indexOf("<<")) >= 0) {
            tgt = text.substring(0, i);
            src = text.substring(i + 2);
        } else if ((i = text.indexOf('<')) >= 0) {
            tgt = text.substring(0, i);
            src = text.substring(i + 1);
        } else {
            src = text;
            tgt = "";
        }
        src = src.strip();
        tgt = tgt.strip();
        if (src.isEmpty() || (i >= 0 && tgt.isEmpty()) || src.contains(">") || src.contains("<")
                || tgt.contains(">") || tgt.contains("<")) {
            throw new Invalid(field, text, "one source and one target around one '>' or '<', e.g. 'a.dat > b.dat'");
        }
        return new StagingDirective(src, tgt, null, null);
    }

    /**
     * RP's dictionary form: keys {@code source} (required), {@code target}, {@code action} (a name of
     * {@link Action}, any case), {@code flags} (a name or a list of names of {@link Flag}), and PanDA's file-spec
     * checks {@code size} (bytes, a whole number) and {@code checksum} ({@code adler32:...} or {@code md5:...}); any
     * other key is refused, as RP refuses it.
     */
    public static StagingDirective fromMap(String field, Map<?, ?> map) {
        for (Object k : map.keySet()) {
            if (!List.of("source", "target", "action", "flags", "size", "checksum").contains(k)) {
                throw new Invalid(field + "." + k, map.get(k), "no such key: a directive has source, target, action,"
                        + " flags, size and checksum");
            }
        }
        Object source = map.get("source");
        Object target = map.get("target");
        if (!(source instanceof String) || ((String) source).isBlank()) {
            throw new Invalid(field + ".source", source, "a location such as 'pilot:///input.dat'");
        }
        if (target != null && !(target instanceof String)) {
            throw new Invalid(field + ".target", target, "a location such as 'unit:///input.dat'");
        }
        Action action = null;
        if (map.get("action") != null) {
            action = parseName(field + ".action", map.get("action"), Action.class);
        }
        Set<Flag> flags = null;
        Object f = map.get("flags");
        if (f != null) {
            flags = EnumSet.noneOf(Flag.class);
            Collection<?> names = f instanceof Collection<?> c ? c : List.of(f);
            int n = 0;
            for (Object name : names) {
                flags.add(parseName(field + ".flags" + (f instanceof Collection<?> ? "[" + n + "]" : ""), name,
                        Flag.class));
                n++;
            }
        }
        Object size = map.get("size");
        if (size != null && !(size instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue())) {
            throw new Invalid(field + ".size", size, "the source file's size in bytes (a whole number >= 0)");
        }
        Object checksum = map.get("checksum");
        if (checksum != null && !(checksum instanceof String)) {
            throw new Invalid(field + ".checksum", checksum, "adler32:<8 hex digits> or md5:<32 hex digits>");
        }
        if (checksum != null) {
            checkChecksum(field + ".checksum", ((String) checksum).strip().toLowerCase(Locale.ROOT));
        }
        return new StagingDirective((String) source, target == null ? "" : (String) target, action, flags,
                size == null ? null : ((Number) size).longValue(), (String) checksum);
    }

    private static <E extends Enum<E>> E parseName(String field, Object value, Class<E> type) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name());
            if (value instanceof String s && e.name().equalsIgnoreCase(s.strip())) {
                return e;
            }
        }
        throw new Invalid(field, value, "one of " + names);
    }

    /**
     * Checks the directive for {@code direction} and returns it with both locations written out
     * ({@code scheme:///path}) and a target that names a file (the source's name appended to a directory target).
     * The agent runs only resolved directives. Resolving a resolved directive gives it back unchanged.
     *
     * @param field names the directive in errors, e.g. {@code units[3].inputStaging[1]}
     * @throws Invalid naming the field ({@code .source}, {@code .target}, {@code .action}), the value and what
     *                 was expected
     */
    public StagingDirective resolved(String field, Direction direction) {
        Location src = location(field + ".source", source, direction.relativeSource);
        if (src.path().isEmpty()) {
            throw new Invalid(field + ".source", source, "a file or directory below " + src.scheme().prefix()
                    + ", not the directory itself");
        }
        String tgtText = target == null ? "" : target;
        Location tgt = tgtText.isEmpty() ? new Location(direction.relativeTarget, "")
                : location(field + ".target", tgtText, direction.relativeTarget);
        if (tgt.path().isEmpty() || tgtText.endsWith("/")) {
            tgt = new Location(tgt.scheme(), tgt.path().isEmpty() ? src.fileName() : tgt.path() + "/"
                    + src.fileName());
        }
        if (!src.scheme().onResource() && !tgt.scheme().onResource()) {
            throw new Invalid(field + ".target", tgtText, "a location on the resource (resource://, session://, "
                    + "pilot://, unit://): the source is on the client already (directive " + describe() + ")");
        }
        Location client = !src.scheme().onResource() ? src : !tgt.scheme().onResource() ? tgt : null;
        if (client != null) {
            boolean isSource = client == src;
            String side = isSource ? ".source" : ".target";
            if (isSource == (direction == Direction.OUTPUT)) {
                throw new Invalid(field + side, isSource ? source : tgtText, "a location on the resource (resource://,"
                        + " session://, pilot://, unit://): " + direction.name().toLowerCase(Locale.ROOT)
                        .replace('_', ' ') + " staging moves files " + (isSource ? "from the resource" : "to the resource")
                        + " (directive " + describe() + ")");
            }
            if (action != Action.TRANSFER && action != Action.TARBALL) {
                throw new Invalid(field + ".action", action, "TRANSFER or TARBALL: a client:// location is on the "
                        + "application's machine, and COPY, LINK and MOVE work on the resource only (directive "
                        + describe() + ")");
            }
        }
        if (direction == Direction.PILOT_INPUT) {
            for (Location l : List.of(src, tgt)) {
                if (l.scheme() == Scheme.UNIT) {
                    throw new Invalid(field + (l == src ? ".source" : ".target"), l == src ? source : target,
                            "a location in resource://, session:// or pilot:// (a pilot's staging has no unit)");
                }
            }
        }
        if (size != null && size < 0) {
            throw new Invalid(field + ".size", size, "the source file's size in bytes (>= 0), or null");
        }
        checkChecksum(field + ".checksum", checksum);
        return new StagingDirective(src.toString(), tgt.toString(), action, flags, size, checksum);
    }

    /**
     * Checks a checksum in PanDA's form ({@code adler32:<8 hex digits>} or {@code md5:<32 hex digits>}, lower case),
     * null meaning unchecked.
     *
     * @throws Invalid naming {@code field} otherwise
     */
    public static void checkChecksum(String field, String checksum) {
        if (checksum != null && !CHECKSUM.matcher(checksum).matches()) {
            throw new Invalid(field, checksum, "adler32:<8 hex digits> or md5:<32 hex digits>, or null");
        }
    }

    private static final java.util.regex.Pattern CHECKSUM =
            java.util.regex.Pattern.compile("adler32:[0-9a-f]{8}|md5:[0-9a-f]{32}");

    /**
     * Whether a resolved directive has one end on the client ({@code client://}): the engine transfers it (over
     * the pilot's SSH connection for a remote resource), never the agent.
     */
    public boolean onClient() {
        return source.startsWith("client://") || target.startsWith("client://");
    }

    /** Both locations of a resolved directive. */
    public Location sourceLocation() {
        return location("source", source, Scheme.CLIENT);
    }

    public Location targetLocation() {
        return location("target", target, Scheme.CLIENT);
    }

    /**
     * A location: {@code scheme://path} (a host part, as in {@code pilot://a/b}, is part of the path, as in RP) or a
     * relative path in {@code relative}; the rules every staging path obeys (no {@code ..}, no absolute path, a
     * known scheme), written once for the directives and the Data API.
     *
     * @throws Invalid naming {@code field}, the text and what was expected
     */
    public static Location location(String field, String text, Scheme relative) {
        String expected = "a relative path of plain names, or one below " + SCHEMES
                + " (no '..', no NUL, at most " + MAX_CHARS + " characters)";
        if (text == null || text.isBlank() || text.length() > MAX_CHARS || text.indexOf('\0') >= 0) {
            throw new Invalid(field, text, expected);
        }
        String t = text.strip();
        Scheme scheme = relative;
        int sep = t.indexOf("://");
        if (sep >= 0) {
            String name = t.substring(0, sep).toLowerCase(Locale.ROOT);
            scheme = switch (name) {
                case "client" -> Scheme.CLIENT;
                case "resource" -> Scheme.RESOURCE;
                case "session" -> Scheme.SESSION;
                case "pilot" -> Scheme.PILOT;
                case "unit", "task" -> Scheme.UNIT;
                default -> throw new Invalid(field, text, "a location with one of the schemes " + SCHEMES
                        + ", not '" + name + "://'");
            };
            t = t.substring(sep + 3);
            while (t.startsWith("/")) {
                t = t.substring(1);
            }
        } else if (t.startsWith("/")) {
            throw new Invalid(field, text, "a relative path or one below " + SCHEMES + " (an absolute path could "
                    + "name anything on the resource)");
        }
        StringBuilder path = new StringBuilder();
        for (String part : t.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new Invalid(field, text, expected);
            }
            if (!path.isEmpty()) {
                path.append('/');
            }
            path.append(part);
        }
        return new Location(scheme, path.toString());
    }

    /** The directive as RP's shorthand with its action, for messages: {@code 'a > b' (COPY)}. */
    public String describe() {
        return "'" + source + " > " + (target == null || target.isEmpty() ? "(same name)" : target) + "' (" + action
                + (flags.isEmpty() ? "" : ", " + flags.stream().map(Enum::name).sorted().toList()) + ")";
    }

    /** A directive that cannot be used: the field, the value and what was expected (the API makes a BadParameter of it). */
    public static final class Invalid extends IllegalArgumentException {
        private final String field;
        private final transient Object value;
        private final String expected;

        public Invalid(String field, Object value, String expected) {
            super(field + " is " + (value instanceof String ? "'" + value + "'" : String.valueOf(value))
                    + ", expected " + expected);
            this.field = field;
            this.value = value;
            this.expected = expected;
        }

        public String field() {
            return field;
        }

        public Object value() {
            return value;
        }

        public String expected() {
            return expected;
        }
    }
}
