import dockeropt_e2e_hello
print(dockeropt_e2e_hello.hello())
