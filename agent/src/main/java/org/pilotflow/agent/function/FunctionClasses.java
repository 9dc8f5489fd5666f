package org.pilotflow.agent.function;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.function.PilotFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The function classes of a pilot: one class loader per distinct list of jars, made on first use and kept for the
 * agent's life, and each class's constructor looked up once. Failures are not kept: a jar that is missing now may be
 * staged later. A jar's contents are read once: a changed jar at the same path is not seen again (give it a new
 * path).
 *
 * <p>A function's class loader sees the JDK (the platform class loader) and {@code org.pilotflow.function}, not the
 * agent's own classes and libraries (Jackson, slf4j), so a function's jar brings its own and cannot clash.
 */
final class FunctionClasses implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionClasses.class);
    private static final String API_PACKAGE = PilotFunction.class.getPackageName() + ".";

    /** Why a function class cannot be made an instance of, in words that say what to do. */
    static final class Unloadable extends Exception {
        Unloadable(String message) {
            super(message);
        }
    }

    private record Key(List<Path> jars, String className) { }

    /** The parent of every function class loader: the JDK and the function API only. */
    private static final ClassLoader API_ONLY = new ClassLoader("pilotflow-function-api",
            ClassLoader.getPlatformClassLoader()) {
        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith(API_PACKAGE)) {
                return PilotFunction.class.getClassLoader().loadClass(name);
            }
            return super.loadClass(name, resolve);
        }
    };

    private final Map<List<Path>, URLClassLoader> loaders = new ConcurrentHashMap<>();
    private final Map<Key, Constructor<? extends PilotFunction>> constructors = new ConcurrentHashMap<>();

    /** How many class loaders were made (tests: one per jar set, not one per unit). */
    int loaderCount() {
        return loaders.size();
    }

    /** The public no-argument constructor of {@code className} from {@code jars} (absolute, normalized paths). */
    Constructor<? extends PilotFunction> constructor(List<Path> jars, String className) throws Unloadable {
        Key key = new Key(jars, className);
        Constructor<? extends PilotFunction> c = constructors.get(key);
        if (c == null) {
            c = lookUp(loader(jars), jars, className);
            constructors.putIfAbsent(key, c);
        }
        return c;
    }

    private URLClassLoader loader(List<Path> jars) throws Unloadable {
        URLClassLoader l = loaders.get(jars);
        if (l != null) {
            return l;
        }
        List<URL> urls = new ArrayList<>(jars.size());
        for (Path jar : jars) {
            if (!Files.isRegularFile(jar)) {
                throw new Unloadable("function jar " + jar + (Files.exists(jar) ? " is not a file" : " does not exist")
                        + " (give the path of a jar on the resource, or stage it there before the unit runs)");
            }
            if (!Files.isReadable(jar)) {
                throw new Unloadable("function jar " + jar + " cannot be read by the agent (check its permissions)");
            }
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new Unloadable("function jar " + jar + " cannot be used: " + e.getMessage());
            }
        }
        synchronized (loaders) { // one loader per jar set, even when its first units start at once
            l = loaders.get(jars);
            if (l == null) {
                l = new URLClassLoader("pilotflow-function" + jars, urls.toArray(URL[]::new), API_ONLY);
                loaders.put(jars, l);
                LOG.info("function class loader for {}", jars);
            }
            return l;
        }
    }

    private static Constructor<? extends PilotFunction> lookUp(ClassLoader loader, List<Path> jars, String className)
            throws Unloadable {
        Class<?> cls;
        try {
            cls = Class.forName(className, false, loader);
        } catch (ClassNotFoundException e) {
            throw new Unloadable("function class " + className + " not found in " + jars
                    + " (check the class name, fully qualified, and that the jar holds it)");
        } catch (LinkageError e) { // a class for a newer Java, a missing dependency
            throw new Unloadable("function class " + className + " cannot be loaded from " + jars + ": " + e
                    + " (compile it for Java " + Runtime.version().feature() + " or lower, and list the jars of "
                    + "its dependencies in functionJars)");
        }
        if (!PilotFunction.class.isAssignableFrom(cls)) {
            throw new Unloadable("function class " + className + " does not implement " + PilotFunction.class.getName()
                    + " (implement it, compiled against pilotflow-function-api)");
        }
        if (cls.isInterface() || Modifier.isAbstract(cls.getModifiers())) {
            throw new Unloadable("function class " + className + " is abstract (name a concrete class)");
        }
        try {
            Constructor<?> c = cls.getConstructor();
            if (!Modifier.isPublic(cls.getModifiers())) {
                throw new NoSuchMethodException("class not public");
            }
            @SuppressWarnings("unchecked")
            Constructor<? extends PilotFunction> typed = (Constructor<? extends PilotFunction>) c;
            return typed;
        } catch (NoSuchMethodException e) {
            throw new Unloadable("function class " + className + " has no public no-argument constructor (make the "
                    + "class public, and a static one if nested, with a public constructor without arguments)");
        } catch (LinkageError e) {
            throw new Unloadable("function class " + className + " cannot be loaded from " + jars + ": " + e
                    + " (list the jars of its dependencies in functionJars)");
        }
    }

    @Override
    public void close() {
        for (URLClassLoader l : loaders.values()) {
            try {
                l.close();
            } catch (IOException e) {
                LOG.debug("closing {}: {}", l.getName(), e.toString());
            }
        }
        loaders.clear();
        constructors.clear();
    }
}
